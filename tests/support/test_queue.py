"""The support queue: by status, newest first, with filters that never fail the page."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from support.models import SupportRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(user, other_user):
    now = timezone.now()

    def make(owner, email, status, provider, codes, age):
        request = SupportRequest.objects.create(
            user=owner,
            email=email,
            contact_email=email,
            message="help",
            status=status,
            provider_id=provider,
            errors=[{"code": c} for c in codes],
        )
        SupportRequest.objects.filter(pk=request.pk).update(created_at=now - timedelta(hours=age))
        return request

    return {
        "old_open": make(user, "old@zoho.example", "open", "zoho", ["imap_auth"], 30),
        "new_open": make(other_user, "new@gmx.example", "open", "gmx", ["smtp_auth", "timeout"], 1),
        "waiting": make(user, "wait@zoho.example", "waiting", "zoho", ["ssl"], 5),
        "resolved": make(other_user, "done@web.example", "resolved", "", ["timeout"], 50),
    }


def _emails(response):
    return [r.email for r in response.context["page"]]


def test_it_lists_open_requests_newest_first_by_default(client, support_user, requests):
    client.force_login(support_user)
    response = client.get(reverse("support_queue"))
    assert _emails(response) == ["new@gmx.example", "old@zoho.example"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"status": "waiting"}, ["wait@zoho.example"]),
        ({"status": "resolved"}, ["done@web.example"]),
        ({"status": ""}, ["new@gmx.example", "wait@zoho.example", "old@zoho.example", "done@web.example"]),
        ({"status": "", "provider": "zoho"}, ["wait@zoho.example", "old@zoho.example"]),
        ({"status": "", "code": "timeout"}, ["new@gmx.example", "done@web.example"]),
        ({"status": "", "q": "ZOHO"}, ["wait@zoho.example", "old@zoho.example"]),
        ({"status": "", "q": "bob"}, ["new@gmx.example", "done@web.example"]),  # the user's name
    ],
)
def test_it_filters_the_queue(client, support_user, requests, query, expected):
    client.force_login(support_user)
    assert _emails(client.get(reverse("support_queue"), query)) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"status": "bogus"},
        {"q": "x" * 5000},
        {"page": "-3"},
        {"page": "abc"},
        {"page": "99999"},
        {"code": "%00"},
    ],
)
def test_it_never_fails_on_bad_filter_values(client, support_user, requests, query):
    client.force_login(support_user)
    response = client.get(reverse("support_queue"), query)
    assert response.status_code == HTTPStatus.OK


def test_it_keeps_the_query_count_constant(
    client, support_user, requests, user, django_assert_max_num_queries
):
    client.force_login(support_user)
    client.get(reverse("support_queue"))  # warm the permission cache path
    for i in range(30):
        SupportRequest.objects.create(
            user=user, email=f"x{i}@zoho.example", contact_email="a@b.example", message="m"
        )
    with django_assert_max_num_queries(9):
        response = client.get(reverse("support_queue"))
    assert len(response.context["page"]) == 32
