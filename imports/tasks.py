"""Celery tasks: thin wrappers that take primary keys only (never a password or a row's data)."""

from celery import shared_task
from django.conf import settings

from . import flows, orphans


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # Detection, then the limits counted for up to IMPORT_MAX_ROWS rows (milliseconds each).
    soft_time_limit=settings.AUTOCONFIG_DEADLINE + 300,
    time_limit=settings.AUTOCONFIG_DEADLINE + 330,
    ignore_result=True,
)
def check_job(job_id: int) -> None:
    flows.check_job(job_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.MAIL_PROBE_DEADLINE * 2 + 30,
    time_limit=settings.MAIL_PROBE_DEADLINE * 2 + 60,
    ignore_result=True,
)
def test_rows(job_id: int, row_ids: list[int]) -> None:
    flows.test_rows(job_id, row_ids)


@shared_task(ignore_result=True)
def reap() -> None:
    """Run by Celery beat: rows whose worker is gone are tested again; rows past their
    deadline end failed; expired jobs go."""
    orphans.requeue_orphaned_rows()
    flows.reap()


@shared_task(ignore_result=True)
def requeue_orphaned_rows() -> int:
    """Sent by a worker as it starts: the rows a dead predecessor was testing."""
    return orphans.requeue_orphaned_rows()
