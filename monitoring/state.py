"""A mailbox's one state: the words, tone and next action every page, email and export shows.

Worked out from four things, and nothing else: the mailbox's newest connection test (with
its errors), its health record (monitoring), whether its checks are paused (the health
record again) and the outcome of its newest round trip (the delivery test, kept on the
test that ran it). `derive()` (monitoring/state_rules.py) is a plain function over those
rows; `of()` loads them for one mailbox and `for_mailboxes()` for a page of them in four
queries whatever the page's size. The error words come from the one catalogue
(diagnostics.net.errors): people see titles, machines get `code`/`reason`.

The README's "Mailbox states" table lists every state.
"""

from django.conf import settings
from django.db.models import Case, F, OuterRef, Prefetch, Subquery, Value, When
from django.utils import timezone

from diagnostics.models import ConnectionTest, Delivery, TestError

from .models import Health
from .models import State as HealthState
from .state_rules import (  # noqa: F401 (the state's public names, for every caller)
    ALMOST,
    BANNER,
    CONNECTED,
    DEGRADED,
    DELIVERY_WARNING,
    DISCONNECTED,
    FAILED,
    NAMES,
    PAUSED,
    QUEUED,
    RECONNECT,
    TESTING,
    UNTESTED,
    Action,
    MailboxState,
    derive,
    health_words,
    of_outcome,
)

# --- loading ----------------------------------------------------------------------------

# What the rules read of a test: never its transcript, settings or verification JSON.
TEST_FIELDS = (
    "id",
    "mailbox_id",
    "status",
    "created_at",
    "deadline_at",
    "message",
    "folders",
    "round_trip_requested",
)
ERROR_FIELDS = ("id", "test_id", "code", "reason", "protocol", "suggestion")


def _newest_tests():
    return ConnectionTest.objects.filter(mailbox=OuterRef("pk")).order_by("-created_at", "-pk")


def for_mailboxes(mailboxes, healths: dict | None = None) -> dict[int, MailboxState]:
    """{mailbox id: state} for a page of mailboxes: four queries, whatever their number
    (three when the caller has the health rows already: `healths`, by mailbox id)."""
    from accounts.models import Mailbox

    mailboxes = list(mailboxes)
    ids = [m.pk for m in mailboxes]
    if not ids:
        return {}
    trips = _newest_tests().exclude(delivery_status="").annotate(trip=_delivery())
    newest = {
        pk: (test_id, trip)
        for pk, test_id, trip in Mailbox.objects.filter(pk__in=ids)
        .annotate(test_id=Subquery(_newest_tests().values("pk")[:1]))
        .annotate(trip=Subquery(trips.values("trip")[:1]))
        .values_list("pk", "test_id", "trip")
    }
    test_ids = [t for t, _trip in newest.values() if t is not None]
    tests = {
        t.mailbox_id: t
        for t in ConnectionTest.objects.filter(pk__in=test_ids)
        .only(*TEST_FIELDS)
        .prefetch_related(Prefetch("errors", TestError.objects.only(*ERROR_FIELDS)))
    }
    if healths is None:
        healths = {h.pk: h for h in Health.objects.filter(pk__in=ids)}
    found = {}
    for mailbox in mailboxes:
        test = tests.get(mailbox.pk)
        errors = list(test.errors.all()) if test is not None else []
        trip = (newest.get(mailbox.pk) or (None, None))[1] or ""
        found[mailbox.pk] = derive(mailbox, test, errors, healths.get(mailbox.pk), trip)
    return found


def _delivery():
    """ConnectionTest.effective_delivery in SQL: a check that outlived its deadline failed."""
    return Case(
        When(delivery_status=Delivery.CHECKING, checks_until__lt=timezone.now(), then=Value(Delivery.FAILED)),
        default=F("delivery_status"),
    )


def of(mailbox, test=None, test_errors=None) -> MailboxState:
    """One mailbox's state. A page that has its newest test and errors passes them in."""
    if test is None and test_errors is None:
        return for_mailboxes([mailbox])[mailbox.pk]
    health = Health.objects.filter(pk=mailbox.pk).first()
    trip = (
        ConnectionTest.objects.filter(mailbox=mailbox)
        .exclude(delivery_status="")
        .order_by("-created_at", "-pk")
        .annotate(trip=_delivery())
        .values_list("trip", flat=True)
        .first()
    )
    return derive(mailbox, test, list(test_errors or []), health, trip or "")


def banner_states(user, limit: int = 5) -> list[tuple]:
    """[(mailbox, state)] of the person's mailboxes the banner names (disconnected, or to
    reconnect), at most `limit`: one query when none is in trouble."""
    candidates = list(
        Health.objects.filter(mailbox__user=user, state=HealthState.DISCONNECTED)
        .select_related("mailbox")
        .order_by("mailbox__email")[: limit * 2]
    )
    if not candidates:
        return []
    states = for_mailboxes([h.mailbox for h in candidates], {h.pk: h for h in candidates})
    return [(h.mailbox, states[h.pk]) for h in candidates if states[h.pk].in_banner][:limit]


def site_url(path: str) -> str:
    """An action's URL for an email (absolute)."""
    return settings.SITE_URL.rstrip("/") + path
