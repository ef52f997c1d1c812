"""The failed-connections list: every filter, search, paging, bad input, query counts."""

from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from review.models import Review

pytestmark = pytest.mark.django_db


def _at(day: str, hour: int = 12):
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=hour))


@pytest.fixture
def data(user, other_user, make_mailbox, make_failed_test, admin_user):
    zoho = make_mailbox(user, email="alice@zoho.example", provider_id="zoho")
    gmx = make_mailbox(other_user, email="bob@gmx.example", provider_id="gmx")
    own = make_mailbox(other_user, email="carol@own-domain.example", provider_id="")
    tests = {
        "zoho_auth": make_failed_test(zoho, "imap_auth", "bad_credentials", created_at=_at("2026-03-03")),
        "zoho_ssl": make_failed_test(zoho, "ssl", "wrong_version", created_at=_at("2026-03-05")),
        "gmx_timeout": make_failed_test(
            gmx, "timeout", "", created_at=_at("2026-03-07"), extra_codes=("timeout",)
        ),
        "own_refused": make_failed_test(own, "connection_refused", "", created_at=_at("2026-03-09")),
    }
    make_failed_test(zoho, status="connected", created_at=_at("2026-03-10"))  # never listed
    Review.objects.create(test=tests["zoho_ssl"], reviewed_by=admin_user)
    return tests


def _listed(client, **query):
    response = client.get(reverse("review_list"), query)
    assert response.status_code == HTTPStatus.OK
    return [t.pk for t in response.context["page"]]


def _pks(data, *names):
    return [data[n].pk for n in names]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({}, ["own_refused", "gmx_timeout", "zoho_ssl", "zoho_auth"]),
        ({"code": "imap_auth"}, ["zoho_auth"]),
        ({"code": "timeout"}, ["gmx_timeout"]),  # two timeout errors, listed once
        ({"reason": "wrong_version"}, ["zoho_ssl"]),
        ({"code": "ssl", "reason": "bad_credentials"}, []),  # both on the same error
        ({"provider": "zoho"}, ["zoho_ssl", "zoho_auth"]),
        ({"provider": "-"}, ["own_refused"]),
        ({"since": "2026-03-05"}, ["own_refused", "gmx_timeout", "zoho_ssl"]),
        ({"until": "2026-03-05"}, ["zoho_ssl", "zoho_auth"]),
        ({"since": "2026-03-04", "until": "2026-03-07"}, ["gmx_timeout", "zoho_ssl"]),
        ({"reviewed": "yes"}, ["zoho_ssl"]),
        ({"reviewed": "no"}, ["own_refused", "gmx_timeout", "zoho_auth"]),
        ({"q": "ALICE"}, ["zoho_ssl", "zoho_auth"]),
        ({"q": "@gmx.example"}, ["gmx_timeout"]),
        ({"q": "own-domain"}, ["own_refused"]),
        ({"q": "@example"}, []),  # @ means the end of the address: a whole domain
    ],
)
def test_it_filters_and_searches_failed_tests(client, admin_user, data, query, expected):
    client.force_login(admin_user)
    assert _listed(client, **query) == _pks(data, *expected)


@pytest.mark.parametrize(
    "query,message",
    [
        ({"code": "no_such_code"}, "Select a valid choice"),
        ({"since": "2026-02-31"}, "Enter a valid date"),
        ({"since": "yesterday"}, "Enter a valid date"),
        ({"until": "99999-01-01"}, "Enter a valid date"),
        ({"since": "2026-03-09", "until": "2026-03-01"}, "The end date is before the start date"),
        ({"reviewed": "maybe"}, "Select a valid choice"),
        ({"q": "x" * 5000}, "at most 254 characters"),
        ({"reason": "r" * 100}, "at most 40 characters"),
    ],
)
def test_it_reports_and_ignores_bad_filter_values(client, admin_user, data, query, message):
    client.force_login(admin_user)
    response = client.get(reverse("review_list"), query)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode() and "This filter is ignored" in response.content.decode()
    assert len(response.context["page"]) >= 1  # the other filters still apply


@pytest.mark.parametrize("query", [{"since": "0001-01-01", "until": "9999-12-31"}, {"provider": "\x00"}])
def test_it_survives_extreme_values(client, admin_user, data, query):
    client.force_login(admin_user)
    assert client.get(reverse("review_list"), query).status_code == HTTPStatus.OK


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "999999999999999999999", ""])
def test_it_paginates_and_tolerates_bad_page_numbers(client, admin_user, data, settings, page):
    settings.REVIEW_PAGE_SIZE = 3
    client.force_login(admin_user)
    response = client.get(reverse("review_list"), {"page": page})
    assert response.status_code == HTTPStatus.OK
    assert response.context["page"].paginator.num_pages == 2


def test_it_keeps_the_query_count_constant(
    client, admin_user, data, user, make_mailbox, make_failed_test, django_assert_num_queries
):
    client.force_login(admin_user)
    query = {"code": "imap_auth", "provider": "zoho", "reviewed": "no", "q": "zoho", "since": "2026-01-01"}

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("review_list"), query).status_code == HTTPStatus.OK
        return len(ctx)

    few = count_queries()
    mailbox = make_mailbox(user, email="alice2@zoho.example", provider_id="zoho")
    for i in range(40):
        make_failed_test(mailbox, "imap_auth", created_at=_at("2026-03-20") + timedelta(minutes=i))
    with django_assert_num_queries(few):
        response = client.get(reverse("review_list"), query)
    assert len(response.context["page"]) == 41
    assert few <= 9


def test_it_marks_selected_tests_reviewed_in_bulk_and_keeps_the_filters(client, admin_user, data):
    client.force_login(admin_user)
    chosen = _pks(data, "zoho_auth", "gmx_timeout", "zoho_ssl")  # zoho_ssl is already reviewed
    response = client.post(
        reverse("review_bulk_mark"),
        {"tests": [*map(str, chosen), "junk", "-4", "9" * 40], "query": "provider=zoho&x=<b>"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("review_list") + "?provider=zoho&x=%3Cb%3E"
    assert "Marked 2 tests as reviewed." in client.get(response["Location"]).content.decode()
    reviewed = set(Review.objects.values_list("test_id", flat=True))
    assert reviewed == set(chosen)
    assert Review.objects.get(test=data["zoho_auth"]).reviewed_by == admin_user
