"""Failed tests as one row per mailbox (healthchecks-style): its state now, since when
it fails or since when it is fixed, how many failures match, the latest one's errors.

A constant number of queries for any number of tests: one grouped query for the page,
one for the page's mailboxes with their state worked out by subqueries, one for the
latest matching test of each, one for its errors; plus one per filter for the counts.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext_lazy as _

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError
from languages.words import say_lazy

from .filters import CATALOGUE, FAILING, FIXED, KNOWN_REASONS, failed_tests
from .reason_words import reason_label

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CONNECTED = Mailbox.Status.CONNECTED


def grouped(data: dict):
    """One values-row per mailbox with matching failures: still failing first, then the
    most recent failure first."""
    fixed_last = Case(
        When(mailbox__status=CONNECTED, then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return (
        failed_tests(data)
        .values("mailbox_id", "mailbox__status")
        .annotate(
            failures=Count("pk"),
            unreviewed=Count("pk", filter=Q(review__isnull=True)),
            first_failed=Min("created_at"),
            last_failed=Max("created_at"),
        )
        .order_by(fixed_last, "-last_failed", "-mailbox_id")
    )


@dataclass
class Row:
    mailbox: Mailbox
    failures: int
    unreviewed: int
    first_failed: datetime
    last_failed: datetime
    latest: ConnectionTest | None = None  # the latest failure matching the filters
    errors: list[TestError] = field(default_factory=list)

    @property
    def fixed(self) -> bool:
        return self.mailbox.status == CONNECTED

    @property
    def state(self) -> str:
        return FIXED if self.fixed else FAILING

    @property
    def since(self) -> datetime | None:
        """Fixed: the first success after the last failure. Failing: the first failure
        after the last success (the first failure ever if it never connected)."""
        return self.mailbox.fixed_since if self.fixed else self.mailbox.failing_since


class CountedPaginator(Paginator):
    """A paginator told its count, for a grouped query that is costly to count again."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _tests_of(status: str):
    return ConnectionTest.objects.filter(mailbox=OuterRef("pk"), status=status)


def _mailboxes(ids: list[int]) -> dict[int, Mailbox]:
    failed, connected = ConnectionTest.Status.FAILED, ConnectionTest.Status.CONNECTED
    newest = ("-created_at", "-pk")
    mailboxes = (
        Mailbox.objects.filter(pk__in=ids)
        .select_related("user")
        .annotate(
            last_ok=Subquery(_tests_of(connected).order_by(*newest).values("created_at")[:1]),
            last_failure=Subquery(_tests_of(failed).order_by(*newest).values("created_at")[:1]),
        )
        .annotate(
            failing_since=Subquery(
                _tests_of(failed)
                .filter(
                    created_at__gt=Coalesce(OuterRef("last_ok"), Value(EPOCH, output_field=DateTimeField()))
                )
                .order_by("created_at", "pk")
                .values("created_at")[:1]
            ),
            fixed_since=Subquery(
                _tests_of(connected)
                .filter(
                    created_at__gt=Coalesce(
                        OuterRef("last_failure"), Value(EPOCH, output_field=DateTimeField())
                    )
                )
                .order_by("created_at", "pk")
                .values("created_at")[:1]
            ),
        )
    )
    return {m.pk: m for m in mailboxes}


def _latest_failures(data: dict, ids: list[int]) -> dict[int, ConnectionTest]:
    """The newest failed test of each mailbox among those matching the filters."""
    ranked = (
        failed_tests(data)
        .filter(mailbox_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("mailbox_id"), order_by=[F("created_at").desc(), F("pk").desc()]
            )
        )
        .filter(rank=1)
        .only("pk", "mailbox_id", "created_at", "provider_id")
    )
    return {t.mailbox_id: t for t in ranked}


def rows(page_items: list[dict], data: dict) -> list[Row]:
    ids = [item["mailbox_id"] for item in page_items]
    if not ids:
        return []
    mailboxes = _mailboxes(ids)
    latest = _latest_failures(data, ids)
    errors: dict[int, list[TestError]] = {}
    for error in TestError.objects.filter(test_id__in=[t.pk for t in latest.values()]).only(
        "test_id", "code", "reason", "protocol"
    ):
        errors.setdefault(error.test_id, []).append(error)
    found = []
    for item in page_items:
        mailbox = mailboxes.get(item["mailbox_id"])
        if mailbox is None:  # deleted between the two queries
            continue
        test = latest.get(mailbox.pk)
        found.append(
            Row(
                mailbox=mailbox,
                failures=item["failures"],
                unreviewed=item["unreviewed"],
                first_failed=item["first_failed"],
                last_failed=item["last_failed"],
                latest=test,
                errors=errors.get(test.pk, []) if test else [],
            )
        )
    return found


@dataclass
class Option:
    value: str
    label: str
    count: int | None  # None: not counted (the "any" option)


@dataclass
class Facet:
    options: list[Option]
    unused: list[Option] = field(default_factory=list)  # known, but in none of these failures

    def total(self, selected: str = "") -> int:
        """Rows listed with this option chosen ("" counts every option: they do not overlap)."""
        return sum(o.count or 0 for o in self.options if o.value == selected or not selected)

    @classmethod
    def split(cls, anything: str, options: list[Option]) -> "Facet":
        used = sorted((o for o in options if o.count), key=lambda o: (-o.count, o.label))
        return cls(
            [Option("", anything, None), *used],
            sorted((o for o in options if not o.count), key=lambda o: o.label),
        )


def _without(data: dict, *names: str) -> dict:
    return {k: v for k, v in data.items() if k not in names}


def _per_mailbox(errors, key: str) -> dict[str, int]:
    counted = errors.values(key).annotate(n=Count("test__mailbox_id", distinct=True)).order_by()
    return {row[key]: row["n"] for row in counted}


def facets(data: dict) -> dict[str, Facet]:
    """Each filter's options with how many mailboxes it would list, the other filters applied."""
    codes = _per_mailbox(
        TestError.objects.filter(test__in=failed_tests(_without(data, "code", "reason")).values("pk")), "code"
    )
    reason_errors = TestError.objects.filter(test__in=failed_tests(_without(data, "reason")).values("pk"))
    if data.get("code"):
        reason_errors = reason_errors.filter(code=data["code"])  # the same error carries both
    reasons = _per_mailbox(reason_errors.exclude(reason=""), "reason")
    states = {
        row["fixed"]: row["n"]
        for row in failed_tests(_without(data, "state"))
        .annotate(fixed=Case(When(mailbox__status=CONNECTED, then=Value(1)), default=Value(0)))
        .values("fixed")
        .annotate(n=Count("mailbox_id", distinct=True))
        .order_by()
    }
    now = [
        Option(FAILING, _("Still failing"), states.get(0, 0)),
        Option(FIXED, _("Fixed since"), states.get(1, 0)),
    ]
    reason_keys = sorted({*KNOWN_REASONS, *reasons, *([data["reason"]] if data.get("reason") else [])})
    return {
        "state": Facet(
            [Option("", _("Failing or fixed"), None), *[o for o in now if o.count]],
            [o for o in now if not o.count],
        ),
        "code": Facet.split(
            _("Any error"),
            [Option(c, say_lazy(kind.title), codes.get(c, 0)) for c, kind in CATALOGUE.items()],
        ),
        "reason": Facet.split(
            _("Any reason"), [Option(k, reason_label(k), reasons.get(k, 0)) for k in reason_keys]
        ),
    }
