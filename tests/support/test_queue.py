"""The support queue: longest waiting first, the views "mine", "unassigned" and "waiting for
user" with counts, the error in words, and filters that never fail the page."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from support.models import SupportRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(user, other_user, support_user, make_user):
    now = timezone.now()
    colleague = make_user("cleo-colleague")

    def make(owner, email, status, provider, codes, age, assignee=None):
        request = SupportRequest.objects.create(
            user=owner,
            email=email,
            contact_email=email,
            message="help",
            status=status,
            provider_id=provider,
            errors=[{"code": c, "protocol": "imap" if "imap" in c else "smtp"} for c in codes],
            assignee=assignee,
        )
        SupportRequest.objects.filter(pk=request.pk).update(
            created_at=now - timedelta(hours=age), waiting_since=now - timedelta(hours=age)
        )
        return request

    return {
        "old_open": make(user, "old@zoho.example", "open", "zoho", ["imap_auth"], 30, support_user),
        "new_open": make(other_user, "new@gmx.example", "open", "gmx", ["smtp_auth", "timeout"], 1),
        "waiting": make(user, "wait@zoho.example", "waiting", "zoho", ["ssl"], 5, support_user),
        "resolved": make(other_user, "done@web.example", "resolved", "", ["timeout"], 50, colleague),
        "theirs": make(other_user, "theirs@web.example", "open", "", ["timeout"], 3, colleague),
    }


def _emails(response):
    return [r.email for r in response.context["page"]]


def test_it_lists_open_requests_longest_waiting_first_by_default(client, support_user, requests):
    client.force_login(support_user)
    response = client.get(reverse("support_queue"))
    assert _emails(response) == ["old@zoho.example", "theirs@web.example", "new@gmx.example"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"view": "mine"}, ["old@zoho.example", "wait@zoho.example"]),  # not resolved, any status
        ({"view": "unassigned"}, ["new@gmx.example"]),
        ({"status": "waiting"}, ["wait@zoho.example"]),
        ({"status": "resolved"}, ["done@web.example"]),
        (
            {"status": ""},
            [
                "new@gmx.example",
                "theirs@web.example",
                "wait@zoho.example",
                "old@zoho.example",
                "done@web.example",
            ],
        ),
        ({"status": "", "provider": "zoho"}, ["wait@zoho.example", "old@zoho.example"]),
        ({"status": "", "code": "timeout"}, ["new@gmx.example", "theirs@web.example", "done@web.example"]),
        ({"status": "", "q": "ZOHO"}, ["wait@zoho.example", "old@zoho.example"]),
        ({"status": "", "q": "bob"}, ["new@gmx.example", "theirs@web.example", "done@web.example"]),
    ],
)
def test_it_filters_the_queue(client, support_user, requests, query, expected):
    client.force_login(support_user)
    assert _emails(client.get(reverse("support_queue"), query)) == expected


def test_it_counts_each_view_and_marks_the_current_one(client, support_user, requests):
    client.force_login(support_user)
    response = client.get(reverse("support_queue"), {"view": "mine"})
    tabs = {t["key"]: (t["count"], t["current"]) for t in response.context["tabs"]}
    assert tabs == {
        "open": (3, False),
        "mine": (2, True),
        "unassigned": (1, False),
        "waiting": (1, False),
        "resolved": (1, False),
        "all": (None, False),
    }
    body = response.content.decode()
    assert 'aria-label="Support queue views"' in body and 'aria-current="page">Mine' in body


def test_it_shows_the_error_in_words_with_its_protocol_the_wait_and_the_assignee(
    client, support_user, requests
):
    client.force_login(support_user)
    body = client.get(reverse("support_queue"), {"status": ""}).content.decode()
    assert "IMAP authentication error" in body  # the title already names the protocol
    assert "Timeout error (SMTP)" in body and "SSL/TLS error (SMTP)" in body
    assert "cleo-colleague" in body and ">You<" in body and "Nobody" in body
    waiting = SupportRequest.objects.get(pk=requests["old_open"].pk).waiting_since
    assert f'<time datetime="{waiting.isoformat()}"' in body
    assert ">1 day ago</time>" in body  # 30 hours, in words


@pytest.mark.parametrize(
    "query",
    [
        {"status": "bogus"},
        {"view": "everything"},
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
            user=user,
            email=f"x{i}@zoho.example",
            contact_email="a@b.example",
            message="m",
            assignee=support_user,
        )
    with django_assert_max_num_queries(9):
        response = client.get(reverse("support_queue"))
    assert len(response.context["page"]) == 33
