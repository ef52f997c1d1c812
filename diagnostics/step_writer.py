"""One writer thread per worker process for live steps.

Hundreds of tests wait on slow servers at once. If each kept a database connection
open while it waited, a busy worker would exhaust PostgreSQL's connections; instead
probe threads hand steps to this writer, which inserts them in small batches over
its own single connection.
"""

import logging
import queue
import threading

from django.db import close_old_connections, connection

from live.publish import publish_many

log = logging.getLogger(__name__)

BATCH_WAIT = 0.05  # seconds: steps still appear live


class StepWriter:
    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="step-writer", daemon=True)
                self._thread.start()

    def put(self, test_id: int, step) -> None:
        self._ensure_running()
        self._queue.put((test_id, step))

    def flush(self, timeout: float = 30) -> bool:
        """Wait until every step queued so far is in the database."""
        done = threading.Event()
        self._ensure_running()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        from .models import TestStep

        while True:
            items = [self._queue.get()]
            try:
                # Gather what arrives within BATCH_WAIT into one insert, but never keep a
                # flush waiting: the test's final state is written right after it.
                while not isinstance(items[-1], threading.Event) and len(items) < 500:
                    items.append(self._queue.get(timeout=BATCH_WAIT))
            except queue.Empty:
                pass
            rows = [TestStep(test_id=i[0], **i[1].as_dict()) for i in items if isinstance(i, tuple)]
            try:
                close_old_connections()
                if rows:
                    TestStep.objects.bulk_create(rows)
            except Exception:  # a lost batch of steps must not stop later ones
                log.exception("could not save %s probe step(s)", len(rows))
                connection.close()
            # After the insert committed: the pages watching these tests re-read them.
            publish_many([f"test-{row.test_id}" for row in rows])
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()


writer = StepWriter()
