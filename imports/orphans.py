"""Rows whose worker died mid-test are tested again on a live worker, once, instead of
waiting out their deadline to end "stuck" (the same rule as a connection test's:
diagnostics/orphans.py; core.workers says when a worker is gone). A row whose worker dies
a second time ends failed, saying so."""

import logging
from collections import defaultdict

from django.db import transaction

from core import workers
from diagnostics.net import errors
from diagnostics.net.words import N_
from live.publish import publish

from . import flows
from . import rows as R
from .models import ImportRow

log = logging.getLogger(__name__)

GAVE_UP = N_(
    "The worker testing this row stopped twice before it ended. Check again; if it stops again, ask support."
)
RERUNS = 1


def requeue_orphaned_rows() -> int:
    """Queue again (or, the second time, fail) every row under test whose worker is gone.
    Returns how many rows it took over."""
    testing = list(
        ImportRow.objects.filter(state=R.TESTING).exclude(worker="").values_list("pk", "worker", "claimed_at")
    )
    lost = workers.gone([(worker, claimed) for _, worker, claimed in testing])
    ids = [pk for pk, worker, claimed in testing if (worker, claimed) in lost]
    if not ids:
        return 0
    again: dict[int, list[int]] = defaultdict(list)
    with transaction.atomic():
        rows = list(
            ImportRow.objects.select_for_update()
            .filter(pk__in=ids, state=R.TESTING)
            .values_list("pk", "job_id", "worker", "claimed_at", "reruns")
        )
        taken = [row for row in rows if (row[2], row[3]) in lost]  # not claimed anew meanwhile
        for pk, job_id, _worker, _claimed, reruns in taken:
            row = ImportRow.objects.filter(pk=pk)
            if reruns >= RERUNS:
                row.update(
                    state=R.FAILED,
                    code=errors.TIMEOUT,
                    reason="stuck",
                    message=GAVE_UP,
                    fix=N_("Check again."),
                )
            else:
                row.update(
                    state=R.QUEUED,
                    reruns=reruns + 1,
                    worker="",
                    claimed_at=None,
                    deadline_at=flows.testing_deadline(),
                )
                again[job_id].append(pk)
        for job_id, row_ids in again.items():
            flows.send_rows(job_id, row_ids)  # in this transaction, through the outbox
    for job_id in {job_id for _, job_id, *_ in taken}:
        publish(f"import-{job_id}")
    if taken:
        log.warning("imports: %s row(s) lost their worker mid-test: taken over", len(taken))
    return len(taken)
