"""Celery tasks: thin wrappers that take primary keys only."""

from celery import shared_task
from django.conf import settings

from . import flows

# Above the probe deadline: both protocols run at once, plus room for DNS and the database.
_SOFT_LIMIT = settings.MAIL_PROBE_DEADLINE + 15
_HARD_LIMIT = settings.MAIL_PROBE_DEADLINE + 30


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
    ignore_result=True,
)
def run_connection_test(test_id: int) -> None:
    flows.execute_test(test_id)
