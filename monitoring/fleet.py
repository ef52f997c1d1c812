"""The admins' fleet view: every monitored mailbox by state, provider and cause.

Every read is a fixed number of queries whatever the fleet's size: one page of rows
(with the mailbox and owner joined), one COUNT, two GROUP BYs for the counts, one for
the chart. Exports stream in keyset pages.
"""

import csv
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from . import readiness
from .models import Alert, Health

CHART_DAYS = 30
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def rows(data: dict):
    """The filtered fleet (form.valid_data()), newest trouble first."""
    qs = Health.objects.select_related("mailbox", "mailbox__user")
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("provider"):
        provider = "" if data["provider"] == "-" else data["provider"]
        qs = qs.filter(mailbox__provider_id=provider)
    if data.get("code"):
        qs = qs.filter(error_code=data["code"])
    if data.get("reason"):
        qs = qs.filter(error_reason=data["reason"])
    if data.get("microsoft_password"):
        qs = qs.filter(readiness.at_risk("mailbox__"))
    q = data.get("q", "").strip()
    if q.startswith("@"):
        qs = qs.filter(mailbox__email__iendswith=q)
    elif q:
        qs = qs.filter(Q(mailbox__email__icontains=q) | Q(mailbox__user__username__icontains=q))
    return qs.order_by("-state_changed_at", "-mailbox_id")


def counts() -> dict:
    """{"state": [(state, n)], "provider": [(provider, n)]} over the whole fleet."""
    by_state = list(Health.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))
    by_provider = list(
        Health.objects.values_list("mailbox__provider_id").annotate(n=Count("pk")).order_by("-n")[:20]
    )
    return {"state": by_state, "provider": [(p or "-", n) for p, n in by_provider]}


def disconnections_per_day(days: int = CHART_DAYS) -> list[tuple]:
    """[(day, count)] for the last `days` days, zeros included (a change to disconnected
    is exactly one DOWN alert)."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    found = dict(
        Alert.objects.filter(kind=Alert.Kind.DOWN, created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [(start + timedelta(days=i), found.get(start + timedelta(days=i), 0)) for i in range(days)]


def bars(series: list[tuple], width: int = 600, height: int = 120) -> list[dict]:
    top = max((n for _, n in series), default=0) or 1
    step = width / max(len(series), 1)
    out = []
    for i, (day, n) in enumerate(series):
        h = round(height * n / top)
        out.append(
            {"x": round(i * step, 1), "w": round(step * 0.8, 1), "y": height - h, "h": h, "day": day, "n": n}
        )
    return out


def safe_cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


HEADER = ["mailbox id", "email", "owner", "provider", "state", "error code", "reason", "last check", "since"]


def csv_lines(qs, echo):
    """CSV rows for the queryset, in keyset pages of 2,000 (never the whole fleet in memory)."""
    writer = csv.writer(echo)
    yield writer.writerow(HEADER)
    last = None
    while True:
        page = qs.order_by("-mailbox_id")
        if last is not None:
            page = page.filter(mailbox_id__lt=last)
        page = list(page[:2000])
        for h in page:
            yield writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        h.mailbox_id,
                        h.mailbox.email,
                        h.mailbox.user.get_username(),
                        h.mailbox.provider_id,
                        h.state,
                        h.error_code,
                        h.error_reason,
                        h.last_check_at.isoformat() if h.last_check_at else "",
                        h.state_changed_at.isoformat() if h.state_changed_at else "",
                    )
                ]
            )
        if len(page) < 2000:
            return
        last = page[-1].mailbox_id
