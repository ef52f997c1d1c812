"""The failing-mailboxes list: one row per mailbox, its state now, every filter with its
counts, search, paging, bad input, bulk review and constant query counts at scale."""

from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError
from review.models import Review

pytestmark = pytest.mark.django_db


def _at(day: str, hour: int = 12):
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=hour))


@pytest.fixture
def data(user, other_user, make_mailbox, make_failed_test, admin_user):
    zoho = make_mailbox(user, email="alice@zoho.example", provider_id="zoho", status="connected")
    gmx = make_mailbox(other_user, email="bob@gmx.example", provider_id="gmx", status="failed")
    own = make_mailbox(other_user, email="carol@own-domain.example", provider_id="", status="failed")
    tests = {
        "zoho_auth": make_failed_test(zoho, "imap_auth", "bad_credentials", created_at=_at("2026-03-03")),
        "zoho_ssl": make_failed_test(zoho, "ssl", "wrong_version", created_at=_at("2026-03-05")),
        "gmx_timeout": make_failed_test(
            gmx, "timeout", "", created_at=_at("2026-03-07"), extra_codes=("timeout",)
        ),
        "own_refused": make_failed_test(own, "connection_refused", "", created_at=_at("2026-03-09")),
    }
    # Zoho works again since the 10th: listed as fixed, after the mailboxes still failing.
    make_failed_test(zoho, status="connected", created_at=_at("2026-03-10"))
    make_failed_test(zoho, status="connected", created_at=_at("2026-03-11"))
    Review.objects.create(test=tests["zoho_ssl"], reviewed_by=admin_user)
    return tests


def _rows(client, **query):
    response = client.get(reverse("review_list"), query)
    assert response.status_code == HTTPStatus.OK
    return response.context["rows"]


def _listed(client, **query):
    return [row.mailbox.email.split("@")[0] for row in _rows(client, **query)]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({}, ["carol", "bob", "alice"]),  # still failing first, latest failure first; then the fixed
        ({"code": "imap_auth"}, ["alice"]),
        ({"code": "timeout"}, ["bob"]),
        ({"reason": "wrong_version"}, ["alice"]),
        ({"code": "ssl", "reason": "bad_credentials"}, []),  # both on the same error
        ({"provider": "zoho"}, ["alice"]),
        ({"provider": "-"}, ["carol"]),
        ({"since": "2026-03-05"}, ["carol", "bob", "alice"]),
        ({"until": "2026-03-05"}, ["alice"]),
        ({"since": "2026-03-04", "until": "2026-03-07"}, ["bob", "alice"]),
        ({"reviewed": "yes"}, ["alice"]),
        ({"reviewed": "no"}, ["carol", "bob", "alice"]),
        ({"q": "ALICE"}, ["alice"]),
        ({"q": "@gmx.example"}, ["bob"]),
        ({"q": "own-domain"}, ["carol"]),
        ({"q": "@example"}, []),  # @ means the end of the address: a whole domain
        ({"state": "fixed"}, ["alice"]),
        ({"state": "failing"}, ["carol", "bob"]),
    ],
)
def test_it_lists_one_row_per_mailbox_matching_the_filters(client, admin_user, data, query, expected):
    client.force_login(admin_user)
    assert _listed(client, **query) == expected


def test_it_shows_the_state_now_the_failures_and_the_latest_error_in_words(client, admin_user, data):
    client.force_login(admin_user)
    alice, bob, carol = (
        {r.mailbox.email.split("@")[0]: r for r in _rows(client)}[n] for n in ("alice", "bob", "carol")
    )
    assert alice.fixed and alice.since == _at("2026-03-10")  # the first success after the last failure
    assert alice.failures == 2 and alice.unreviewed == 1
    assert alice.latest == data["zoho_ssl"] and [e.code for e in alice.errors] == ["ssl"]
    assert not carol.fixed and carol.since == _at("2026-03-09")
    assert bob.failures == 1  # two timeout errors, one failed test
    body = client.get(reverse("review_list")).content.decode()
    # The mailbox's state now, in the words every page uses (monitoring/state.py).
    assert alice.mailbox_state.name == "connected" and carol.mailbox_state.name == "failed"
    assert 'data-mailbox-state="connected"' in body and 'data-mailbox-state="failed"' in body
    assert "SSL/TLS error" in body and "Timeout error" in body  # words, not codes
    assert f'<a href="{reverse("review_detail", args=[data["zoho_ssl"].pk])}">alice@zoho.example</a>' in body
    assert f'<time datetime="{_at("2026-03-10").isoformat()}"' in body  # relative in the browser
    # With an error filter, the row shows that error's latest failure.
    (only,) = _rows(client, code="imap_auth")
    assert only.latest == data["zoho_auth"] and only.failures == 1


def test_it_counts_mailboxes_in_each_filter_and_offers_only_reasons_that_occur(client, admin_user, data):
    client.force_login(admin_user)
    response = client.get(reverse("review_list"), {"state": "failing"})
    facets = response.context["facets"]
    states = {o.value: o.count for o in facets["state"].options}
    assert states == {"": None, "failing": 2, "fixed": 1}  # the state filter itself is not applied
    codes = {o.value: o.count for o in facets["code"].options}
    assert codes == {"": None, "timeout": 1, "connection_refused": 1}  # the state filter is
    body = response.content.decode()
    assert "Timeout error (1)</option>" in body
    assert '<input type="text" name="reason"' not in body and '<select name="reason">' in body
    # Only reasons that occur are offered, with their counts; none at "(0)".
    reasons = {o.value for o in facets["reason"].unused}
    assert {"cert_untrusted", "app_password_required", "wrong_credentials"} <= reasons
    assert "(0)</option>" not in body and "Certificate untrusted" not in body
    # A reason chosen by a link that matches nothing stays shown as chosen.
    chosen = client.get(reverse("review_list"), {"reason": "cert_untrusted"}).content.decode()
    assert '<option value="cert_untrusted" selected>Certificate untrusted (0)</option>' in chosen
    assert chosen.count("(0)</option>") == 1
    found = client.get(reverse("review_list")).context["facets"]["reason"].options
    assert [(o.value, o.count) for o in found[1:]] == [("bad_credentials", 1), ("wrong_version", 1)]


@pytest.mark.parametrize(
    "query,message",
    [
        ({"code": "no_such_code"}, "Select a valid choice"),
        ({"since": "2026-02-31"}, "Enter a valid date"),
        ({"since": "yesterday"}, "Enter a valid date"),
        ({"until": "99999-01-01"}, "Enter a valid date"),
        ({"since": "2026-03-09", "until": "2026-03-01"}, "The end date is before the start date"),
        ({"reviewed": "maybe"}, "Select a valid choice"),
        ({"state": "broken"}, "Select a valid choice"),
        ({"q": "x" * 5000}, "at most 254 characters"),
        ({"reason": "r" * 100}, "at most 40 characters"),
    ],
)
def test_it_reports_and_ignores_bad_filter_values(client, admin_user, data, query, message):
    client.force_login(admin_user)
    response = client.get(reverse("review_list"), query)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode() and "This filter is ignored" in response.content.decode()
    assert len(response.context["rows"]) >= 1  # the other filters still apply


@pytest.mark.parametrize(
    "query", [{"since": "0001-01-01", "until": "9999-12-31"}, {"provider": "\x00"}, {"reason": "\x00"}]
)
def test_it_survives_extreme_values(client, admin_user, data, query):
    client.force_login(admin_user)
    assert client.get(reverse("review_list"), query).status_code == HTTPStatus.OK


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "999999999999999999999", ""])
def test_it_paginates_mailboxes_and_tolerates_bad_page_numbers(client, admin_user, data, settings, page):
    settings.REVIEW_PAGE_SIZE = 2
    client.force_login(admin_user)
    response = client.get(reverse("review_list"), {"page": page})
    assert response.status_code == HTTPStatus.OK
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["rows"]) in (1, 2)


def _many_failures(owner, mailboxes: int, each: int, start) -> None:
    """`mailboxes` failing mailboxes with `each` failed tests apiece, in bulk."""
    made = Mailbox.objects.bulk_create(
        Mailbox(
            user=owner,
            email=f"m{i}-{start:%Y%m%d%H%M%S}@fleet.example",
            smtp_host="smtp.fleet.example",
            imap_host="imap.fleet.example",
            password_encrypted="x",
            status="failed",
        )
        for i in range(mailboxes)
    )
    tests = ConnectionTest.objects.bulk_create(
        ConnectionTest(mailbox=m, status="failed") for m in made for _ in range(each)
    )
    TestError.objects.bulk_create(TestError(test=t, code="smtp_auth", protocol="smtp") for t in tests)
    for n, t in enumerate(tests):
        t.created_at = start + timedelta(minutes=n)
    ConnectionTest.objects.bulk_update(tests, ["created_at"])


def _count_queries(client, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("review_list"), query)
    assert response.status_code == HTTPStatus.OK
    return len(ctx), response


def test_an_admin_with_400_failures_sees_40_rows_one_per_mailbox(client, admin_user, user):
    client.force_login(admin_user)
    _many_failures(user, mailboxes=40, each=10, start=_at("2026-03-01"))
    queries, response = _count_queries(client, {})
    assert ConnectionTest.objects.filter(status="failed").count() == 400
    rows = response.context["rows"]
    assert len(rows) == 40 and {r.failures for r in rows} == {10}
    assert len({r.mailbox.pk for r in rows}) == 40
    assert "40 mailboxes with failures" in response.content.decode()
    # Session, user, two permission reads, the site's health banner; then the rows' counts
    # (3 filters), the page, its mailboxes, their latest failures and those errors; the
    # rows' states (monitoring/state.py: newest tests, those tests, their errors, health).
    assert queries <= 16, queries


def test_it_keeps_the_query_count_constant(client, admin_user, data, user):
    client.force_login(admin_user)
    query = {"code": "smtp_auth", "reviewed": "no", "q": "fleet", "since": "2026-01-01", "state": "failing"}
    _many_failures(user, mailboxes=2, each=2, start=_at("2026-03-01"))
    few, response = _count_queries(client, query)
    assert len(response.context["rows"]) == 2
    _many_failures(user, mailboxes=30, each=5, start=_at("2026-03-02"))
    many, response = _count_queries(client, query)
    assert len(response.context["rows"]) == 32
    assert many == few


def test_it_marks_the_selected_mailboxes_failures_reviewed_within_the_filters(client, admin_user, data):
    client.force_login(admin_user)
    alice = data["zoho_auth"].mailbox
    bob = data["gmx_timeout"].mailbox
    response = client.post(
        reverse("review_bulk_mark"),
        {
            "mailboxes": [str(alice.pk), str(bob.pk), "junk", "-4", "9" * 40],
            "query": "until=2026-03-05&x=<b>",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("review_list") + "?until=2026-03-05&x=%3Cb%3E"
    # Only alice's failure up to the 5th that was not reviewed yet; bob's is after the 5th.
    assert "Marked 1 failed test as reviewed." in client.get(response["Location"]).content.decode()
    reviewed = set(Review.objects.values_list("test_id", flat=True))
    assert reviewed == {data["zoho_ssl"].pk, data["zoho_auth"].pk}
    assert Review.objects.get(test=data["zoho_auth"]).reviewed_by == admin_user
