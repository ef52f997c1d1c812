"""emailcenter/filebroker.py: a worker draining the file broker never sees a message
that is still being written. kombu's own transport creates the file, then serialises
the message into it; a worker listing the folder in between reads an empty file and
stops on a JSON error. And a waiting worker hears of a message when it arrives."""

import sys
import threading
import time

import pytest
from kombu import Connection, Exchange, Queue
from kombu.transport import filesystem
from kombu.utils.json import register_type

from emailcenter.filebroker import Transport

# No database, cache or broker: the storage tier cannot change the outcome.
pytestmark = pytest.mark.tier_independent


class _Probe:
    """A header value whose serialisation runs a callback: the moment the sender is
    inside its write, as a worker on another core would see it."""

    def __init__(self, during):
        self.during = during


def _encode(probe):
    probe.during()
    return "probe"


register_type(_Probe, "tests.filebroker.probe", _encode, lambda _: "probe")


def _connection(folder, transport):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "polling_interval": 0}
    return Connection("filesystem://", transport=transport, transport_options=options)


def _read_during_write(folder, transport):
    """What a reader gets while the message is being written, and afterwards."""
    with _connection(folder, transport) as writer, _connection(folder, transport) as reader:
        inbox = reader.SimpleQueue("tests")
        seen = []

        def read_now():
            try:
                message = inbox.get(block=False)
                seen.append(("message", message.payload))
            except inbox.Empty:
                seen.append(("empty", None))
            except ValueError as exc:  # JSONDecodeError: the file was still empty
                seen.append(("broken", type(exc).__name__))

        writer.SimpleQueue("tests").put({"n": 1}, headers={"probe": _Probe(read_now)})
        after = inbox.get(timeout=5) if seen == [("empty", None)] else None
        return seen, after


def test_a_message_is_invisible_until_written_whole(tmp_path):
    seen, after = _read_during_write(tmp_path, Transport)
    assert seen == [("empty", None)]
    assert after.payload == {"n": 1}
    assert after.headers["probe"] == "probe"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_kombus_own_transport_shows_the_half_written_file(tmp_path):
    """The fault the subclass exists for; if kombu fixes it, this test says so."""
    seen, _ = _read_during_write(tmp_path, filesystem.Transport)
    if seen == [("empty", None)]:
        pytest.fail("kombu's file transport now writes atomically: emailcenter/filebroker.py can go")
    assert seen == [("broken", "JSONDecodeError")]


def _time_to_deliver(folder, interval: float) -> float:
    """Seconds from a put to a consumer (already waiting in drain_events) getting it."""
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "polling_interval": interval}
    with (
        Connection("filesystem://", transport=Transport, transport_options=options) as reader,
        Connection("filesystem://", transport=Transport, transport_options=options) as writer,
    ):
        got = []
        queue = Queue("tests", Exchange("tests", type="direct"), routing_key="tests")
        consumer = reader.Consumer([queue], callbacks=[lambda body, message: got.append(time.monotonic())])
        consumer.consume()
        drained = threading.Thread(target=lambda: reader.drain_events(timeout=3 * interval), daemon=True)
        drained.start()
        time.sleep(0.3)  # the consumer has listed the empty folder and is waiting
        put_at = time.monotonic()
        writer.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="tests", declare=[queue])
        drained.join(4 * interval)
        assert got, "never delivered"
        return got[0] - put_at


def test_a_waiting_worker_wakes_when_a_message_arrives_not_at_its_next_poll(tmp_path):
    # kombu's transport would sleep out the 4 s interval; the doorbell rings at the rename.
    assert _time_to_deliver(tmp_path, interval=4.0) < 1.0


def test_without_inotify_the_worker_still_polls(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "inotify_simple", None)  # import fails, as off Linux
    assert 0.3 < _time_to_deliver(tmp_path, interval=1.0) < 3.0
