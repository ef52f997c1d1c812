"""One writer thread per worker process for row results.

A thousand rows finish within seconds of each other. Each probe thread hands its result
here instead of opening a database connection; the writer saves them in batches over
one connection and publishes `import-<id>` once per batch and job, so that a burst of
results costs the page one refresh, not one per row.
"""

import logging
import queue
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from live.publish import publish_many

from . import rows as R

log = logging.getLogger(__name__)

BATCH_WAIT = 0.15  # seconds of quiet that end a burst


class ResultWriter:
    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
                self._thread.start()

    def put(self, job_id: int, row_id: int, fields: dict, logins=None) -> None:
        """logins: probe.logins()'s (failed, succeeded), counted towards the shared limits."""
        self._ensure_running()
        self._queue.put((job_id, row_id, fields, logins))

    def flush(self, timeout: float = 30) -> bool:
        done = threading.Event()
        self._ensure_running()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            try:
                while len(items) < 500:
                    items.append(self._queue.get(timeout=BATCH_WAIT))
            except queue.Empty:
                pass
            results = [i for i in items if isinstance(i, tuple)]
            try:
                close_old_connections()
                if results:
                    save(results)
            except Exception:  # a lost batch must not stop later ones; the rows' deadline shows it
                log.exception("import: could not save %s row result(s)", len(results))
                connection.close()
            publish_many([f"import-{item[0]}" for item in results])
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()


def save(results: list[tuple]) -> None:
    from . import probe
    from .models import ImportRow

    now = timezone.now()
    with transaction.atomic():
        for _, row_id, fields, _ in results:
            # Only a row still being tested: a reaped or re-queued row keeps its newer state.
            ImportRow.objects.filter(pk=row_id, state=R.TESTING).update(**fields, tested_at=now)
    probe.record([logins for *_, logins in results if logins is not None])


writer = ResultWriter()
