"""When each mailbox is checked, and handing due checks to the worker in batches.

Each mailbox has a fixed offset within the interval, from a hash of its id, so checks
spread evenly over the interval and a mailbox is checked at the same minute each hour.
The scheduler (beat, every minute) walks due rows with a keyset cursor, claims one batch
per short transaction and queues that batch after it commits: it never holds every
mailbox in memory nor queues thousands of tasks in one transaction.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Mailbox
from core import dispatch

from .models import Health, State

log = logging.getLogger(__name__)

RUN_HEALTH_CHECK = "monitoring.tasks.run_health_check"


def offset_for(mailbox_id: int, interval: int | None = None) -> int:
    interval = interval or settings.MAIL_HEALTH_INTERVAL
    digest = hashlib.sha256(str(mailbox_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % interval


def next_slot(offset: int, after: datetime) -> datetime:
    """The first time after `after` that is `offset` seconds into an interval."""
    interval = settings.MAIL_HEALTH_INTERVAL
    epoch = int(after.timestamp())
    start = epoch - epoch % interval + offset
    if start <= epoch:
        start += interval
    return datetime.fromtimestamp(start, tz=after.tzinfo)


def after_check(offset: int, now: datetime) -> datetime:
    """The next check after one that just ran: the mailbox's own slot, at least half an
    interval away (a check run off its slot, by hand or by an admin, is not followed by
    another a few seconds later)."""
    return next_slot(offset, now + timedelta(seconds=settings.MAIL_HEALTH_INTERVAL // 2))


def stale_claim() -> timedelta:
    """A claim older than this belongs to a check that was lost (broker, killed worker)."""
    return timedelta(seconds=settings.MAIL_PROBE_DEADLINE * 2 + 180)


def enroll(batch: int | None = None) -> int:
    """Start monitoring connected mailboxes that have no health row yet (one batch)."""
    batch = batch or settings.MAIL_HEALTH_BATCH
    now = timezone.now()
    ids = list(
        Mailbox.objects.filter(status=Mailbox.Status.CONNECTED, health__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    rows = []
    for pk in ids:
        offset = offset_for(pk)
        rows.append(Health(mailbox_id=pk, offset=offset, next_check_at=next_slot(offset, now)))
    Health.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def due(now: datetime):
    """Rows whose check is due and not already claimed by a check still in time."""
    return Health.objects.filter(next_check_at__lte=now).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim())
    )


def claim_batch(now: datetime, after: tuple | None, batch: int) -> tuple[list[int], tuple | None]:
    """Claim up to `batch` due rows past the keyset cursor `after` = (next_check_at, id)."""
    rows = due(now).exclude(state=State.PAUSED)
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(next_check_at__gt=at) | Q(next_check_at=at, mailbox_id__gt=pk))
    with transaction.atomic():
        picked = list(
            rows.order_by("next_check_at", "mailbox_id").values_list("next_check_at", "mailbox_id")[:batch]
        )
        ids = [pk for _, pk in picked]
        if ids:
            # Claimed only if still unclaimed: another scheduler run may have raced us.
            Health.objects.filter(mailbox_id__in=ids).filter(
                Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim())
            ).update(claimed_at=now)
            ids = list(Health.objects.filter(mailbox_id__in=ids, claimed_at=now).values_list("pk", flat=True))
    return ids, (picked[-1] if picked else None)


def queue_due(now: datetime | None = None, limit: int | None = None) -> int:
    """Claim and queue every due check, batch by batch; returns how many were queued."""
    now = now or timezone.now()
    batch = settings.MAIL_HEALTH_BATCH
    cursor, queued = None, 0
    while limit is None or queued < limit:
        ids, cursor = claim_batch(now, cursor, batch)
        for pk in ids:
            try:
                dispatch.send(RUN_HEALTH_CHECK, pk, now.isoformat())
            except Exception:  # broker down: the claim goes stale and the next run retries
                log.warning("could not queue the health check of mailbox %s", pk, exc_info=True)
                return queued
            queued += 1
        if cursor is None:
            break
    return queued


def claim(mailbox_id: int, now: datetime | None = None) -> str | None:
    """Claim one mailbox's check now (the command line): its claim token, or None if a
    check is under way."""
    now = now or timezone.now()
    taken = (
        Health.objects.filter(pk=mailbox_id)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - stale_claim()))
        .update(claimed_at=now)
    )
    return now.isoformat() if taken else None


def take(mailbox_id: int, token: str) -> bool:
    """The check's task takes its claim (the claim time, as queued) for itself, once: a
    message the broker delivers twice finds the claim already taken and runs nothing."""
    claimed = datetime.fromisoformat(token)
    return bool(Health.objects.filter(pk=mailbox_id, claimed_at=claimed).update(claimed_at=timezone.now()))


def release(mailbox_id: int, next_check_at: datetime | None = None) -> None:
    """Give a claim back without a check (paused, busy, no slot); optionally reschedule."""
    update = {"claimed_at": None}
    if next_check_at is not None:
        update["next_check_at"] = next_check_at
    Health.objects.filter(pk=mailbox_id).update(**update)


def recovered_by_owner(batch: int | None = None) -> list[int]:
    """Disconnected mailboxes whose owner fixed them since (a later test connected)."""
    batch = batch or settings.MAIL_HEALTH_BATCH
    return list(
        Health.objects.filter(
            state=State.DISCONNECTED,
            mailbox__status=Mailbox.Status.CONNECTED,
            mailbox__last_tested_at__gt=F("state_changed_at"),
        ).values_list("mailbox_id", flat=True)[:batch]
    )
