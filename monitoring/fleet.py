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
from django.utils.translation import gettext as _

from diagnostics.net import directory
from diagnostics.net.errors import CATALOGUE
from languages.words import say

from . import readiness, state
from .models import Alert, Health, State

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


def provider_label(provider_id: str) -> str:
    """The provider's name for people; a mailbox on a server of its own has none."""
    if not provider_id or provider_id == "-":
        return _("Own server")
    found = directory.by_id(provider_id)
    return found.name if found else provider_id


def counts() -> dict:
    """Over the whole fleet: {"state": [(state, words, n)], "provider": [(filter value, name, n)],
    "code": [(code, title, n)], "reason": [(reason, n)]}, only values that occur."""
    found = dict(Health.objects.values_list("state").annotate(n=Count("pk")).order_by("state"))
    by_state = [(key, words, found[key]) for key, words in state.health_words() if found.get(key)]
    by_provider = list(
        Health.objects.values_list("mailbox__provider_id").annotate(n=Count("pk")).order_by("-n")[:20]
    )
    by_error = list(
        Health.objects.exclude(state=State.CONNECTED)
        .exclude(error_code="")
        .values_list("error_code", "error_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    codes: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for code, reason, n in by_error:
        codes[code] = codes.get(code, 0) + n
        if reason:
            reasons[reason] = reasons.get(reason, 0) + n
    return {
        "state": by_state,
        "provider": [(p or "-", provider_label(p), n) for p, n in by_provider],
        "code": sorted(((c, catalogue_title(c), n) for c, n in codes.items()), key=lambda r: (-r[2], r[1])),
        "reason": sorted(reasons.items(), key=lambda r: (-r[1], r[0])),
    }


def catalogue_title(code: str) -> str:
    kind = CATALOGUE.get(code)
    return say(kind.title) if kind else code


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


# The chart's plot area inside its 600 x 150 drawing: room on the left for the count
# axis and below for the dates.
PLOT_LEFT, PLOT_WIDTH, PLOT_HEIGHT = 40, 555, 110


def bars(series: list[tuple], width: int = PLOT_WIDTH, height: int = PLOT_HEIGHT) -> list[dict]:
    top = max((n for _day, n in series), default=0) or 1
    step = width / max(len(series), 1)
    out = []
    for i, (day, n) in enumerate(series):
        h = round(height * n / top)
        out.append(
            {
                "x": round(PLOT_LEFT + i * step, 1),
                "w": round(step * 0.8, 1),
                "y": height - h,
                "h": h,
                "day": day,
                "n": n,
            }
        )
    return out


def axes(series: list[tuple], width: int = PLOT_WIDTH, height: int = PLOT_HEIGHT) -> dict:
    """Labels for the chart's axes: the highest count and zero up the side, and a date
    under the first bar, every seventh day and the last."""
    top = max((n for _day, n in series), default=0)
    step = width / max(len(series), 1)
    last = len(series) - 1
    dates = [
        {
            "x": round(PLOT_LEFT + i * step + step * 0.4, 1),
            "day": day,
            "anchor": "end" if i == last else "middle",
        }
        for i, (day, _n) in enumerate(series)
        if (i % 7 == 0 and last - i >= 4) or i == last
    ]
    return {"top": top, "dates": dates, "left": PLOT_LEFT, "bottom": height, "right": PLOT_LEFT + width}


def safe_cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make them text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


HEADER = ["mailbox id", "email", "owner", "provider", "state", "error code", "reason", "last check", "since"]
# Added after the original columns (scripts read them by position): the state model's view.
HEADER += ["mailbox state", "mailbox state words", "error"]


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
        states = state.for_mailboxes([h.mailbox for h in page], {h.pk: h for h in page})
        for h in page:
            now = states[h.pk]
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
                        now.name,
                        f"{now.label}: {now.sentence}",
                        now.error_title,
                    )
                ]
            )
        if len(page) < 2000:
            return
        last = page[-1].mailbox_id
