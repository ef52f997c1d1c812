"""Each page costs the same number of queries however many steps or errors a test has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostics.models import ConnectionTest, TestError, TestStep

pytestmark = pytest.mark.django_db


def _test_with(mailbox, steps: int, errors: int) -> ConnectionTest:
    test = ConnectionTest.objects.create(mailbox=mailbox, status="failed", settings={})
    TestStep.objects.bulk_create(
        TestStep(test=test, protocol="smtp" if i % 2 else "imap", name="connect", ok=True, ms=1)
        for i in range(steps)
    )
    TestError.objects.bulk_create(
        TestError(test=test, code="smtp_auth", protocol="smtp") for _ in range(errors)
    )
    return test


def _queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["mailbox_status", "mailbox_detail"])
def test_the_status_and_detail_pages_do_not_query_per_step(client_a, user, make_mailbox, name):
    small = make_mailbox(user, email="small@example.test")
    big = make_mailbox(user, email="big@example.test")
    _test_with(small, steps=2, errors=1)
    _test_with(big, steps=40, errors=3)
    url_small, url_big = reverse(name, args=[small.pk]), reverse(name, args=[big.pk])
    _queries(client_a, url_small)  # warm the session cache
    assert _queries(client_a, url_small, HX_Request="true") == _queries(client_a, url_big, HX_Request="true")


def test_the_mailbox_list_does_not_query_per_mailbox(client_a, user, make_mailbox):
    make_mailbox(user, email="one@example.test")
    url = reverse("mailbox_list")
    _queries(client_a, url)
    few = _queries(client_a, url)
    for i in range(10):
        make_mailbox(user, email=f"more{i}@example.test")
    assert _queries(client_a, url) == few


def test_the_connect_page_has_a_fixed_query_count(client_a, django_assert_max_num_queries):
    client_a.get(reverse("mailbox_new"))
    with django_assert_max_num_queries(3):
        client_a.get(reverse("mailbox_new"))
