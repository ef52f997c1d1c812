import queue
import time

import pytest

import live.publish
from live.hub import Hub
from live.hub import hub as process_hub


@pytest.fixture
def fresh_publisher():
    """publish() keeps one Redis client per process; tests that move REDIS_URL need a new one."""
    live.publish._client = None
    live.publish._failing = False
    yield
    live.publish._client = None
    live.publish._failing = False


@pytest.fixture
def hub():
    """A hub of the test's own (the process-wide one serves the live server)."""
    instance = Hub()
    yield instance
    instance.stop()


class Listener:
    """A subscriber that records topics, as a stream's queue would."""

    def __init__(self):
        self.topics: queue.SimpleQueue[str] = queue.SimpleQueue()

    def __call__(self, topic: str) -> None:
        self.topics.put(topic)

    def next(self, timeout: float = 3.0) -> str:
        return self.topics.get(timeout=timeout)

    def wait_for(self, topic: str, timeout: float = 5.0) -> None:
        """Until `topic` arrives (catch-up notices for other topics may come first)."""
        end = time.monotonic() + timeout
        while (remaining := end - time.monotonic()) > 0:
            try:
                if self.next(remaining) == topic:
                    return
            except queue.Empty:
                break
        pytest.fail(f"{topic} never arrived")

    def drain(self, settle: float = 0.3) -> set[str]:
        time.sleep(settle)
        seen = set()
        while not self.topics.empty():
            seen.add(self.topics.get_nowait())
        return seen


@pytest.fixture
def listener():
    return Listener()


@pytest.fixture
def running_hub(listener):
    """The process's hub, already reading: a stream opened now gets no start-up catch-up
    from it, so a test can count exactly what the stream sends."""
    from live.publish import publish

    subscription = process_hub.subscribe(["warmup-0"], listener)
    publish("warmup-0")  # heard either through the hub's start-up catch-up or as itself
    listener.wait_for("warmup-0")
    yield process_hub
    subscription.close()
