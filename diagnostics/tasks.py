"""Celery tasks: thin wrappers that take primary keys only."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from live.publish import publish

from . import flows, orphans
from .models import round_trip_budget

# Above the probe deadline: both protocols run at once, plus room for DNS and the database,
# and a round trip when the test asks for one.
_SOFT_LIMIT = settings.MAIL_PROBE_DEADLINE + round_trip_budget() + 15
_HARD_LIMIT = settings.MAIL_PROBE_DEADLINE + round_trip_budget() + 30


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
    ignore_result=True,
    # The database locked or restarting when the test is taken: try again (the claim
    # runs a test once; a test past its deadline by then becomes a new attempt).
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=10,
    retry_jitter=False,
    max_retries=None,
)
def run_connection_test(test_id: int) -> None:
    flows.execute_test(test_id)


@shared_task(ignore_result=True)
def reap_stuck_tests() -> int:
    """Run by Celery beat: tests whose worker is gone run again; tests past their deadline
    end as failed with a clear message."""
    orphans.requeue_orphaned_tests()
    return flows.reap_stuck_tests()


@shared_task(ignore_result=True)
def requeue_orphaned_tests() -> int:
    """Sent by a worker as it starts: the tests a dead predecessor left run again."""
    return orphans.requeue_orphaned_tests()


@shared_task(
    soft_time_limit=settings.AUTOCONFIG_DEADLINE + 10,
    time_limit=settings.AUTOCONFIG_DEADLINE + 20,
    ignore_result=True,
)
def detect_domain(domain: str) -> None:
    """The network autodetection cascade for one domain (never an address); the
    answer goes to the cache, and the `detect-<domain>` topic tells the waiting forms
    to read it."""
    from . import autodetection as service

    try:
        service.discover_and_store(domain)
    finally:
        service.finish_lookup(domain)
        # Found or not, the lookup is over: forms waiting on this domain re-read it.
        publish(f"detect-{domain}")
