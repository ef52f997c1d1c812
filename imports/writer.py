"""One writer thread per worker process for row results.

A thousand rows finish within seconds of each other. Each probe thread hands its result
here instead of opening a database connection; the writer saves them in batches over
one connection and publishes `import-<id>` once per batch and job, so that a burst of
results costs the page one refresh, not one per row.
"""

from django.db import transaction
from django.utils import timezone

from core import workers
from core.batching import BatchWriter
from live.publish import publish_many

from . import rows as R

BATCH_WAIT = 0.15  # seconds of quiet that end a burst


class ResultWriter(BatchWriter):
    def __init__(self):
        super().__init__(_save_and_tell, "import-writer", BATCH_WAIT)

    def put(self, job_id: int, row_id: int, fields: dict, logins=None) -> None:
        """logins: probe.logins()'s (failed, succeeded, password), remembered and counted
        towards the shared limits (the password stays in this process, as in the probe)."""
        super().put((job_id, row_id, fields, logins))


def _save_and_tell(results: list[tuple]) -> None:
    save(results)
    publish_many([f"import-{item[0]}" for item in results])


def save(results: list[tuple]) -> None:
    from . import probe
    from .models import ImportRow

    now = timezone.now()
    saved = []
    for _, row_id, fields, logins in results:
        # A refused password is remembered first, so that the row says how many tries are left.
        warning = probe.record(logins) if logins is not None else ""
        if warning:
            fields = {**fields, "message": f"{fields.get('message', '')} {warning}".strip()[:1000]}
        saved.append((row_id, fields))
    with transaction.atomic():
        for row_id, fields in saved:
            # Only a row still being tested: a reaped or re-queued row keeps its newer state.
            # Only while this process still holds the row: one taken from it as orphaned
            # (orphans.py) is the run it was given to's to write.
            mine = ImportRow.objects.filter(pk=row_id, state=R.TESTING, worker=workers.this_worker())
            mine.update(**fields, tested_at=now)


writer = ResultWriter()
