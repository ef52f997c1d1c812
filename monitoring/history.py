"""A mailbox's health history: the 30-day strip, uptime, mean time to recovery, retention."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from diagnostics.models import ConnectionTest

from .models import Check, State

DAYS = 30
# The worst state of a day on which every check failed colours its cell.
_RANK = {State.CONNECTED: 0, State.PAUSED: 1, State.DEGRADED: 2, State.DISCONNECTED: 3}
BEFORE, NOT_CHECKED, PARTIAL = "before", "", "partial"


@dataclass
class Cell:
    day: date
    state: str  # BEFORE the mailbox existed, NOT_CHECKED, PARTIAL (some checks failed), or a State
    checks: int
    failed: int

    @property
    def text(self) -> str:
        day = formats.date_format(self.day, "j M Y")  # the `when` format
        if self.state == BEFORE:
            return ""
        if not self.checks:
            return _("%(day)s: not checked") % {"day": day}
        return ngettext(
            "%(day)s: %(ok)s of %(n)s check connected",
            "%(day)s: %(ok)s of %(n)s checks connected",
            self.checks,
        ) % {"day": day, "ok": self.checks - self.failed, "n": self.checks}


@dataclass
class Summary:
    cells: list[Cell]
    uptime: float | None  # percent of the monitored time (paused time left out) that was connected
    last_failure: Check | None
    mttr: timedelta | None  # mean time from disconnected to connected again
    outages: int
    since: date | None = None  # the first day drawn, when the mailbox is younger than the strip

    @property
    def sentence(self) -> str:
        """What the strip shows, in one sentence: a screen reader hears this, not 30 cells."""
        drawn = [c for c in self.cells if c.state != BEFORE]
        if not any(c.checks for c in drawn):
            return _("No checks yet.")
        good = sum(1 for c in drawn if c.state == State.CONNECTED)
        bad = sum(1 for c in drawn if c.checks and c.state != State.CONNECTED)
        period = (
            _("Since %(day)s") % {"day": formats.date_format(self.since, "j M Y")}
            if self.since
            else _("Last %(n)s days") % {"n": len(self.cells)}
        )
        parts = [
            ngettext("%(n)s day all checks connected", "%(n)s days all checks connected", good) % {"n": good},
            ngettext("%(n)s day with failed checks", "%(n)s days with failed checks", bad) % {"n": bad},
        ]
        text = f"{period}: {', '.join(parts)}"
        if self.uptime is not None:
            text += _("; connected %(pct)s%% of the monitored time") % {"pct": f"{self.uptime:.1f}"}
        return text + "."


def _colour(cell: Cell, worst: str) -> str:
    if not cell.checks:
        return cell.state
    if not cell.failed:
        return State.CONNECTED
    return worst if cell.failed == cell.checks else PARTIAL


def _uptime(rows: list, now) -> float | None:
    """Time-weighted: each check's outcome holds until the next check (the last one until
    `now`, the start of a pause while paused); time before the first check is not monitored."""
    if not rows:
        return None
    up = total = 0.0
    for (at, _state, ok), following in zip(rows, [*rows[1:], (now, None, None)], strict=True):
        seconds = max((following[0] - at).total_seconds(), 0.0)
        total += seconds
        up += seconds if ok else 0.0
    return 100.0 * up / total if total else None


def summary(mailbox_id: int, days: int = DAYS, created_at=None, paused_since=None) -> Summary:
    """Two queries: the period's checks (small columns only) and the last failure.
    `created_at`: the mailbox's, so that days before it existed are not drawn;
    `paused_since`: checks are paused now, and that time is not monitored time."""
    now = timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    since = timezone.make_aware(timezone.datetime.combine(start, timezone.datetime.min.time()))
    rows = list(
        Check.objects.filter(mailbox_id=mailbox_id, created_at__gte=since)
        .order_by("created_at", "pk")
        .values_list("created_at", "state", "ok")
    )
    born = min(filter(None, [created_at, rows[0][0] if rows else None]), default=None)
    first_day = timezone.localdate(born) if born else start
    by_day: dict[date, Cell] = {
        start + timedelta(days=i): Cell(
            start + timedelta(days=i), BEFORE if start + timedelta(days=i) < first_day else NOT_CHECKED, 0, 0
        )
        for i in range(days)
    }
    worst: dict[date, str] = {}
    for at, state, ok in rows:
        cell = by_day.get(timezone.localdate(at))
        if cell is None:
            continue
        cell.checks += 1
        cell.failed += 0 if ok else 1
        if not ok and _RANK.get(state, 0) > _RANK.get(worst.get(cell.day, State.CONNECTED), 0):
            worst[cell.day] = state
    for cell in by_day.values():
        cell.state = _colour(cell, worst.get(cell.day, State.DISCONNECTED))
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
        list(by_day.values()),
        _uptime(rows, paused_since or now),
        last_failure,
        mttr,
        len(recoveries) + (1 if down_since else 0),
        since=first_day if first_day > start else None,
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
