"""What the outbox tells the rows of an import, as it tells a connection test
(diagnostics/queueing.py): held (the broker is away: the rows wait for the queue, say so,
and their deadline waits too) and handed over after a wait (their deadline starts now)."""

from django.db.models import Q
from django.utils import timezone

from core import outbox
from live.publish import publish_many

from . import flows
from . import rows as R
from .models import ImportRow

TASKS = (flows.CHECK_JOB, flows.TEST_ROWS)


def _rows(sender: str, args) -> Q | None:
    """The queued rows a task is for: a whole job's (its check) or a chunk's."""
    if sender not in TASKS or not args or not isinstance(args[0], int):
        return None
    if sender == flows.TEST_ROWS and len(args) > 1 and isinstance(args[1], list):
        return Q(job_id=args[0], pk__in=args[1], state=R.QUEUED)
    return Q(job_id=args[0], state=R.QUEUED)


def on_held(sender: str, args, error: str, **_) -> None:
    which = _rows(sender, args)
    if which is not None and ImportRow.objects.filter(which, held_since__isnull=True).update(
        held_since=timezone.now()
    ):
        publish_many([f"import-{args[0]}"])


def on_handed(sender: str, batch: list, **_) -> None:
    """Each row that waited has its full time from now."""
    which = [(args, _rows(sender, args)) for args, waited in batch if waited]
    which = [(args, rows) for args, rows in which if rows is not None]
    if not which:
        return
    deadline = timezone.now() + flows.QUEUE_WAIT
    jobs = set()
    for args, rows in which:
        if ImportRow.objects.filter(rows, held_since__isnull=False).update(
            held_since=None, deadline_at=deadline
        ):
            jobs.add(args[0])
    if jobs:
        publish_many([f"import-{job}" for job in sorted(jobs)])


def connect() -> None:
    outbox.held.connect(on_held, dispatch_uid="imports.held")
    outbox.handed.connect(on_handed, dispatch_uid="imports.handed")
