"""A semaphore per provider host across processes: at most MAIL_HEALTH_PER_HOST logins at once.

Rows live in the database (every tier has one); a slot is taken by a single UPDATE that
matches only a free or expired slot, which both PostgreSQL and SQLite apply atomically.
"""

import random
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import HostSlot


def _lease() -> timedelta:
    # Longer than any login test (both protocols run at once, plus the queue margin).
    return timedelta(seconds=settings.MAIL_PROBE_DEADLINE * 2 + 60)


def _free(now) -> Q:
    return Q(holder="") | Q(expires_at__lt=now)


def _take_one(host: str, holder: str, limit: int) -> bool:
    now = timezone.now()
    HostSlot.objects.bulk_create([HostSlot(host=host, slot=i) for i in range(limit)], ignore_conflicts=True)
    candidates = list(
        HostSlot.objects.filter(_free(now), host=host, slot__lt=limit).values_list("pk", flat=True)
    )
    random.shuffle(candidates)  # workers racing for slots pick different ones
    for pk in candidates:
        taken = HostSlot.objects.filter(_free(now), pk=pk).update(holder=holder, expires_at=now + _lease())
        if taken:
            return True
    return False


def acquire(hosts: list[str], holder: str, wait: float) -> bool:
    """Take one slot per login (a host listed twice, for SMTP and IMAP on one server, takes
    two), all or none, waiting up to `wait` seconds."""
    limit = settings.MAIL_HEALTH_PER_HOST
    if limit <= 0:
        return True
    deadline = time.monotonic() + wait
    while True:
        taken = []
        for host in sorted(hosts):
            if not _take_one(host, holder, limit):
                break
            taken.append(host)
        else:
            return True
        release(taken, holder)  # all or none: never hold one host while waiting on another
        if time.monotonic() >= deadline:
            return False
        time.sleep(random.uniform(0.05, 0.25))


def release(hosts: list[str], holder: str) -> None:
    if hosts:
        HostSlot.objects.filter(host__in=set(hosts), holder=holder).update(holder="", expires_at=None)
