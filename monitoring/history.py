"""A mailbox's health history: the 30-day strip, uptime, mean time to recovery, retention."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from diagnostics.models import ConnectionTest

from .models import Check, State

DAYS = 30
# The worst state of a day colours its cell.
_RANK = {State.CONNECTED: 0, State.PAUSED: 1, State.DEGRADED: 2, State.DISCONNECTED: 3}


@dataclass
class Cell:
    day: date
    state: str  # "" when nothing was checked that day
    checks: int
    failed: int

    @property
    def text(self) -> str:
        if not self.checks:
            return f"{self.day:%a %d %b}: not checked"
        label = State(self.state).label.lower()
        return f"{self.day:%a %d %b}: {label}, {self.failed} of {self.checks} checks failed"


@dataclass
class Summary:
    cells: list[Cell]
    uptime: float | None  # percent of checks that connected
    last_failure: Check | None
    mttr: timedelta | None  # mean time from disconnected to connected again
    outages: int


def summary(mailbox_id: int, days: int = DAYS) -> Summary:
    """Two queries: the period's checks (small columns only) and the last failure."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time()))
    rows = list(
        Check.objects.filter(mailbox_id=mailbox_id, created_at__gte=since)
        .order_by("created_at", "pk")
        .values_list("created_at", "state", "ok")
    )
    by_day: dict[date, Cell] = {
        start + timedelta(days=i): Cell(start + timedelta(days=i), "", 0, 0) for i in range(days)
    }
    for at, state, ok in rows:
        cell = by_day.get(timezone.localdate(at))
        if cell is None:
            continue
        cell.checks += 1
        cell.failed += 0 if ok else 1
        if not cell.state or _RANK.get(state, 0) > _RANK.get(cell.state, 0):
            cell.state = state
    uptime = 100.0 * sum(1 for r in rows if r[2]) / len(rows) if rows else None
    recoveries, down_since = [], None
    for at, state, _ok in rows:
        if state == State.DISCONNECTED and down_since is None:
            down_since = at
        elif state == State.CONNECTED and down_since is not None:
            recoveries.append(at - down_since)
            down_since = None
    mttr = sum(recoveries, timedelta()) / len(recoveries) if recoveries else None
    last_failure = (
        Check.objects.filter(mailbox_id=mailbox_id, ok=False)
        .select_related("test")
        .order_by("-created_at")
        .first()
    )
    return Summary(
        list(by_day.values()), uptime, last_failure, mttr, len(recoveries) + (1 if down_since else 0)
    )


def thin(now=None, max_days: int = 30) -> int:
    """Keep every check for MAIL_HEALTH_RETENTION_DAYS, then one a day per mailbox (its first
    failure that day if it had one, else its last check). Day by day, oldest first, so a
    run's work is bounded; returns how many checks were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MAIL_HEALTH_RETENTION_DAYS)
    old = Check.objects.filter(created_at__lt=cutoff)
    days = (
        old.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"), boxes=Count("mailbox_id", distinct=True))
        .filter(n__gt=1)
        .order_by("day")
    )
    deleted = 0
    for row in list(days)[:max_days]:
        if row["n"] <= row["boxes"]:
            continue  # already one a day
        day_rows = old.annotate(day=TruncDate("created_at")).filter(day=row["day"])
        keep = (
            day_rows.values("mailbox_id")
            .annotate(k=Coalesce(Min("pk", filter=Q(ok=False)), Max("pk")))
            .values("k")
        )
        with transaction.atomic():
            doomed = day_rows.exclude(pk__in=Subquery(keep))
            # The checks' own login tests go first (their steps and errors cascade).
            ConnectionTest.objects.filter(health_check__in=Subquery(doomed.values("pk"))).delete()
            deleted += doomed.delete()[0]
    return deleted
