"""Failures over time: daily counts per error code and/or provider, and which are rising.

One aggregate query per view (the database groups by day); the rest is plain
Python over at most days × series numbers.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.functions import Lower, StrIndex, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from diagnostics.models import ConnectionTest, TestError
from diagnostics.net.errors import kind

from .filters import NO_PROVIDER, period_start

WINDOW = 3  # days compared: the last WINDOW days against the WINDOW before them


@dataclass
class Series:
    code: str
    provider: str
    counts: list[int]
    days: list[date] = field(repr=False)
    domain: str = ""  # for tests with no known provider: the address's domain

    @property
    def provider_label(self) -> str:
        if self.provider is None:
            return ""
        if self.provider:
            return self.provider
        return gettext("no provider (%(domain)s)") % {"domain": self.domain or gettext("unknown domain")}

    @property
    def label(self) -> str:
        parts = []
        if self.provider is not None:
            parts.append(self.provider_label)
        if self.code is not None:
            parts.append(self.code)
        return " · ".join(parts)

    @property
    def title(self) -> str:
        return kind(self.code).title if self.code else ""

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def recent(self) -> int:
        return sum(self.counts[-WINDOW:])

    @property
    def before(self) -> int:
        return sum(self.counts[-2 * WINDOW : -WINDOW])

    @property
    def rising_since(self) -> date | None:
        return rising_since(self.days, self.counts)

    @property
    def filter_query(self) -> dict:
        query = {}
        if self.code:
            query["code"] = self.code
        if self.provider is not None:
            query["provider"] = self.provider or NO_PROVIDER
            if not self.provider and self.domain:
                query["q"] = f"@{self.domain}"
        return query


def rising_since(days: list[date], counts: list[int]) -> date | None:
    """The day a rise began, or None if the series is not rising.

    Rising: the last WINDOW days together beat the WINDOW days before them, and
    the latest day is above the average of everything before the last WINDOW
    days. The rise began on the first day of the final run of days above that
    average, so 3, 5, 8, 9 after a quiet week reads "since" the day of the 3.
    """
    if len(counts) < WINDOW + 1:
        return None
    earlier = counts[:-WINDOW]
    baseline = sum(earlier) / len(earlier)
    if sum(counts[-WINDOW:]) <= sum(counts[-2 * WINDOW : -WINDOW]) or counts[-1] <= baseline:
        return None
    start = len(counts) - 1
    while start > 0 and counts[start - 1] > baseline:
        start -= 1
    return days[start]


def _domain(prefix: str = ""):
    """The address's domain for a test with no known provider ("" otherwise): "no
    provider" is a hundred small domains, and each is a different story."""
    email = F(f"{prefix}mailbox__email")
    return Case(
        When(**{f"{prefix}provider_id": ""}, then=Lower(Substr(email, StrIndex(email, Value("@")) + 1))),
        default=Value(""),
        output_field=CharField(),
    )


def _rows(by: str, since, code: str, provider: str):
    """(day, code, provider, domain, count) rows: failed tests per day and group."""
    if by == "provider":
        tests = ConnectionTest.objects.filter(status=ConnectionTest.Status.FAILED, created_at__gte=since)
        if code:
            tests = tests.filter(pk__in=TestError.objects.filter(code=code).values("test_id"))
        if provider:
            tests = tests.filter(provider_id="" if provider == NO_PROVIDER else provider)
        grouped = tests.annotate(day=TruncDate("created_at"), domain=_domain()).values(
            "day", "provider_id", "domain"
        )
        return [
            (r["day"], None, r["provider_id"], r["domain"], r["n"])
            for r in grouped.annotate(n=Count("pk")).order_by()
        ]
    errors = TestError.objects.filter(test__status=ConnectionTest.Status.FAILED, test__created_at__gte=since)
    if code:
        errors = errors.filter(code=code)
    if provider:
        errors = errors.filter(test__provider_id="" if provider == NO_PROVIDER else provider)
    keys = ["day", "code"] + (["test__provider_id", "domain"] if by == "both" else [])
    grouped = errors.annotate(day=TruncDate("test__created_at"), domain=_domain("test__")).values(*keys)
    # Distinct tests: an SMTP and an IMAP timeout in one test count once.
    grouped = grouped.annotate(n=Count("test_id", distinct=True)).order_by()
    both = by == "both"
    return [
        (r["day"], r["code"], r["test__provider_id"] if both else None, r["domain"] if both else "", r["n"])
        for r in grouped
    ]


def cache_key(by: str, days: int, code: str, provider: str) -> str:
    raw = repr((by, days, code, provider, timezone.localdate().isoformat()))
    return "review-trends:v2:" + hashlib.sha256(raw.encode()).hexdigest()


def _cached_rows(by: str, days: int, code: str, provider: str) -> list:
    """Daily counts change slowly: a short cache spares the database the same scan
    when several admins (or one reloading) look at the same period."""
    seconds = settings.REVIEW_TRENDS_CACHE_SECONDS
    if not seconds:
        return _rows(by, period_start(days), code, provider)
    key = cache_key(by, days, code, provider)
    rows = cache.get(key)
    if rows is None:
        rows = _rows(by, period_start(days), code, provider)
        cache.set(key, rows, seconds)
    return rows


SORTS = {
    "group": lambda s: s.label,
    "total": lambda s: s.total,
    "recent": lambda s: s.recent,
    "before": lambda s: s.before,
    # Rising ones by when the rise began; the others after them.
    "rising": lambda s: (s.rising_since is not None, s.rising_since or date.min),
}


def sort_series(found: list[Series], key: str = "total", descending: bool = True) -> list[Series]:
    """Sorted by one column; ties by total (largest first), then by name."""
    ordered = sorted(found, key=lambda s: (-s.total, s.label))
    return sorted(ordered, key=SORTS[key], reverse=descending)


def series(
    by: str = "both", days: int = 14, code: str = "", provider: str = ""
) -> tuple[list[date], list[Series]]:
    """Days of the period (oldest first) and one series per group, largest total first."""
    first = timezone.localdate() - timedelta(days=days - 1)
    calendar = [first + timedelta(days=i) for i in range(days)]
    index = {day: i for i, day in enumerate(calendar)}
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * days)
    for day, row_code, row_provider, domain, n in _cached_rows(by, days, code, provider):
        if day in index:
            counts[(row_code, row_provider, domain)][index[day]] += n
    found = [Series(c, p, values, calendar, d) for (c, p, d), values in counts.items()]
    return calendar, sort_series(found)
