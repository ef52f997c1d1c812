"""The default tier's broker: kombu's file transport, with messages written atomically
and consumers woken as soon as one arrives.

kombu creates a message file, then locks it, then writes it. A worker listing the
folder in between opens an empty file, and the JSON error that follows stops the worker
for good ("Unrecoverable error: JSONDecodeError"); every later test then waits for a
worker that is gone. Here a message is written under a name the worker does not read
and renamed into place once complete: a rename within one folder is atomic.

kombu's consumer lists the folder, then sleeps `polling_interval` when it is empty, so
a message waited half an interval on average before a worker saw it. On Linux the
consumer waits on inotify instead: the rename wakes it at once, and an idle worker looks
at the folder once a second (BACKSTOP) rather than 50 times. A missed wake-up (a
message not renamed into place, an overflowing inotify queue) costs at most that
second, never a message; without inotify the consumer polls as kombu's does.

The folder itself may fail: removed, replaced by a file, made unreadable. kombu lets
the OSError out of its read, which stops the worker for good ("Unrecoverable error:
NotADirectoryError"). Here a read that fails is logged (once a minute), a missing
folder is made again, and the worker keeps looking, with the doorbell set up anew on
the folder that is there once it works again.
"""

import contextlib
import logging
import os
import uuid
from queue import Empty
from time import monotonic, sleep

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

from core.outage import Outage

log = logging.getLogger(__name__)
folder_outage = Outage(log, "File broker folder")
BACKSTOP = 1.0  # seconds: the longest wait for a doorbell that did not ring


def _remake(folder: str) -> None:
    """A folder that is gone is made again; one replaced by a file is left for its owner."""
    with contextlib.suppress(OSError):
        os.makedirs(folder, exist_ok=True)


class Channel(filesystem.Channel):
    _faulty = False

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")  # matches no queue
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            _remake(self.data_folder_out)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        try:
            payload = super()._get(queue)
        except OSError as exc:  # the folder is gone, a file, or unreadable: wait for it
            folder_outage.report(exc)
            _remake(self.data_folder_in)
            self._faulty = True
            self.connection.forget_doorbell()
            raise Empty() from None
        if self._faulty:
            log.warning("file broker folder readable again: %s", self.data_folder_in)
            self._faulty = False
            self.connection.forget_doorbell()
        return payload


class Doorbell:
    """Waits until a file is renamed into `folder`, or `seconds` pass."""

    def __init__(self, folder: str):
        self._inotify = None
        try:
            from inotify_simple import INotify, flags

            inotify = INotify()
            inotify.add_watch(folder, flags.MOVED_TO)
            self._inotify = inotify
        except (ImportError, OSError) as exc:  # not Linux, or out of watches: poll
            log.info("file broker: polling %s (%s)", folder, exc)

    @property
    def ringing(self) -> bool:
        return self._inotify is not None

    def wait(self, seconds: float) -> None:
        if self._inotify is None:
            sleep(seconds)
        else:
            self._inotify.read(timeout=max(0, int(seconds * 1000)))  # and forget what it read

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None


class Transport(filesystem.Transport):
    Channel = Channel
    _doorbell: Doorbell | None = None

    def drain_events(self, connection, timeout=None):
        """kombu's loop, with the doorbell in place of its sleep."""
        started = monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and monotonic() - started >= timeout:
                    raise TimeoutError() from None
                if interval:
                    bell = self._bell()
                    bell.wait(max(interval, BACKSTOP) if bell.ringing else interval)

    def _bell(self) -> Doorbell:
        if self._doorbell is None:
            self._doorbell = Doorbell(self.client.transport_options.get("data_folder_in") or ".")
        return self._doorbell

    def forget_doorbell(self) -> None:
        """The watched folder may be another one now: watch afresh on the next wait."""
        if self._doorbell is not None:
            self._doorbell.close()
            self._doorbell = None

    def close_connection(self, connection):
        self.forget_doorbell()
        super().close_connection(connection)
