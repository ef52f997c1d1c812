"""Celery tasks: thin wrappers that take primary keys only."""

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import alerts, checks, history, readiness, schedule, webhooks

# A check waits for a host slot (up to two probe deadlines), then runs one login test.
_SOFT_LIMIT = settings.MAIL_PROBE_DEADLINE * 4 + 30
_HARD_LIMIT = settings.MAIL_PROBE_DEADLINE * 4 + 60


@shared_task(ignore_result=True)
def schedule_due_checks() -> int:
    """Beat, every minute: enroll newly connected mailboxes, note owners' fixes, queue due checks."""
    schedule.enroll()
    for mailbox_id in schedule.recovered_by_owner():
        checks.owner_fixed(mailbox_id)
    return schedule.queue_due()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
    ignore_result=True,
)
def run_health_check(mailbox_id: int, claim: str | None = None) -> None:
    try:
        checks.run_check(mailbox_id, claim)
    except Exception:
        # The database or the broker failed us mid-check: free the claim so that the
        # scheduler tries again in a minute, instead of waiting for the claim to go stale.
        schedule.release(mailbox_id, timezone.now() + checks.BUSY_RETRY)
        raise
    finally:
        # Hundreds of checks share a worker: hold no database connection between them.
        connection.close()


@shared_task(ignore_result=True)
def send_alert(alert_id: int) -> str:
    return alerts.send_alert(alert_id)


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    return webhooks.deliver(delivery_id)


@shared_task(ignore_result=True)
def hourly_upkeep() -> None:
    """Beat, hourly: the digest at its hour; retention thins old checks every run."""
    if timezone.localtime().hour == settings.MAIL_HEALTH_DIGEST_HOUR:
        alerts.send_digests()
        readiness.notify_owners()  # once per mailbox, until Microsoft's Basic SMTP AUTH cut-off
    history.thin()


@shared_task(name="monitoring.tasks.daily", ignore_result=True)
def daily() -> None:
    """The old name of hourly_upkeep, still registered for one release: a broker or a
    beat process started before the rename may still send messages under it."""
    hourly_upkeep()
