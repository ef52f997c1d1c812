"""The pages' side of live status: what they watch, what a re-fetch answers, and what a
page read shows for a test that no worker finished (no reaper needed)."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from diagnostics import flows
from diagnostics.models import ConnectionTest, TestStep
from tests.live.pages import closes_stream, refresh_url, stream_url

pytestmark = pytest.mark.django_db


def _running(mailbox, **fields) -> ConnectionTest:
    values = {"status": "running", "deadline_at": timezone.now() + timedelta(minutes=1), **fields}
    return ConnectionTest.objects.create(mailbox=mailbox, **values)


def _refresh(client, url):
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK  # never 286: nothing polls any more
    return response.content.decode()


def test_a_running_test_is_watched_through_one_stream(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _running(mailbox)
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert page.count("sse-connect=") == 1 and "every 1s" not in page
    stream = urlsplit(stream_url(page))
    # The stream sends the partial the page would re-fetch (live/partial.py)...
    assert stream.path == reverse("live_stream") and parse_qs(stream.query) == {
        "topics": [f"test-{test.pk},mailbox-{mailbox.pk}"],
        "page": [refresh_url(page)],
    }
    assert 'sse-swap="html"' in page
    # ...or, when it cannot, the topic's event, on which the page fetches it itself.
    assert f'hx-trigger="sse:test-{test.pk}, sse:mailbox-{mailbox.pk}"' in page
    assert 'hx-sync="this:queue last"' in page
    body = _refresh(client_a, refresh_url(page))
    assert 'id="test-status"' in body and "Testing" in body and not closes_stream(body)


def test_the_answer_that_shows_the_final_state_closes_the_stream(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _running(mailbox)
    url = refresh_url(client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode())
    TestStep.objects.create(test=test, protocol="smtp", name="auth", ok=True, ms=3)
    ConnectionTest.objects.filter(pk=test.pk).update(status="connected", sent_folder="Sent")
    body = _refresh(client_a, url)
    assert "Connected" in body and 'data-step="smtp-auth"' in body
    assert closes_stream(body) and "sse-connect" not in body


def test_a_newer_test_of_the_mailbox_moves_the_stream_to_it(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    first = _running(mailbox)
    url = refresh_url(client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode())
    ConnectionTest.objects.filter(pk=first.pk).update(status="failed")
    second = _running(mailbox)  # started from another tab
    body = _refresh(client_a, url)
    assert f"topics=test-{second.pk},mailbox-{mailbox.pk}" in body and 'hx-swap-oob="outerHTML"' in body


def test_a_page_opened_after_the_test_finished_shows_the_final_state_at_once(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test = ConnectionTest.objects.create(mailbox=mailbox, status="connected", sent_folder="Sent")
    TestStep.objects.create(test=test, protocol="imap", name="sent_folder", ok=True, ms=4)
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Connected" in page and 'data-step="imap-sent_folder"' in page
    assert "sse-connect" not in page and "hx-trigger" not in page  # nothing left to wait for


def test_a_test_past_its_deadline_shows_the_failure_when_the_page_is_read(
    client, user, admin_user, make_mailbox
):
    mailbox = make_mailbox(user)
    test = _running(mailbox, status="queued", deadline_at=timezone.now() - timedelta(seconds=1))
    client.force_login(user)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'class="badge failed">Failed<' in page and "No worker finished this test" in page
    assert "sse-connect" not in page and "No test worker has picked this up yet" not in page
    client.force_login(admin_user)
    review = client.get(reverse("review_detail", args=[test.pk])).content.decode()
    assert 'class="badge failed">Failed<' in review and "No worker finished this test" in review
    test.refresh_from_db()
    assert test.status == "queued"  # nothing was written: the page worked it out


def test_the_mailbox_list_shows_a_mailbox_whose_test_is_overdue_as_failed(client_a, user, make_mailbox):
    overdue = make_mailbox(user, email="late@example.com", status="testing")
    _running(overdue, deadline_at=timezone.now() - timedelta(seconds=1))
    in_time = make_mailbox(user, email="busy@example.com", status="testing")
    _running(in_time)
    page = client_a.get(reverse("mailbox_list")).content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[1]: row for row in page.split("<tr>")[2:]}
    late, busy = rows["late@example.com"], rows["busy@example.com"]
    assert 'data-mailbox-state="failed"' in late and ">Failed<" in late
    assert 'data-mailbox-state="testing"' in busy and ">Testing…<" in busy
    overdue.refresh_from_db()
    assert overdue.status == "testing"  # shown, not written


def test_a_page_waiting_on_a_test_closes_its_stream_once_the_deadline_passed(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _running(mailbox)
    url = refresh_url(client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode())
    ConnectionTest.objects.filter(pk=test.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
    body = _refresh(client_a, url)
    assert "No worker finished this test" in body and closes_stream(body)


def test_the_reaper_still_fails_overdue_tests_in_the_database(user, make_mailbox):
    mailbox = make_mailbox(user)
    test = _running(mailbox, deadline_at=timezone.now() - timedelta(seconds=1))
    assert flows.reap_stuck_tests() == 1
    test.refresh_from_db()
    assert test.status == "failed" and test.errors.get().reason == "stuck"


def test_every_middleware_is_async_capable():
    """Under ASGI one sync-only middleware would put every request, and every open
    stream, through a thread."""
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        assert getattr(middleware, "async_capable", False), f"{path} is sync-only"
