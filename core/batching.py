"""One writer thread per process that saves what many threads hand it, in batches.

Hundreds of probe threads wait on slow servers at once. If each kept a database
connection open while it waited, a busy worker would exhaust PostgreSQL's connections;
instead they put what they found here, and one thread writes it over its own single
connection, gathering what arrives within `batch_wait` of each other into one batch.
"""

import logging
import queue
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection

log = logging.getLogger(__name__)


class BatchWriter:
    def __init__(self, save: Callable[[list], None], name: str, batch_wait: float, max_batch: int = 500):
        """save(items) writes one batch; it may raise (the batch is logged and dropped)."""
        self._save = save
        self._name = name
        self._batch_wait = batch_wait
        self._max_batch = max_batch
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def put(self, item) -> None:
        self._ensure_running()
        self._queue.put(item)

    def flush(self, timeout: float = 30) -> bool:
        """Wait until everything put so far is written."""
        done = threading.Event()
        self._ensure_running()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            try:
                # Gather what arrives within batch_wait into one write, but never keep a
                # flush waiting: whoever flushes writes its final state right after.
                while not isinstance(items[-1], threading.Event) and len(items) < self._max_batch:
                    items.append(self._queue.get(timeout=self._batch_wait))
            except queue.Empty:
                pass
            batch = [i for i in items if not isinstance(i, threading.Event)]
            try:
                close_old_connections()
                if batch:
                    self._save(batch)
            except Exception:  # a lost batch must not stop later ones
                log.exception("%s: could not save %s item(s)", self._name, len(batch))
                connection.close()
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
