"""One failed test: everything an admin needs, the actions, and the JSON report."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from core.dispatch import RUN_CONNECTION_TEST
from core.models import OutboxMessage
from diagnostics.models import ConnectionTest
from review.models import Note, Review
from tests.live.pages import closes_stream, refresh_url, stream_topics
from tests.staff_fixtures import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(user, make_mailbox, make_failed_test):
    mailbox = make_mailbox(user, email="alice@zoho.example", password=PASSWORD, provider_id="zoho")
    earlier = make_failed_test(mailbox, "smtp_auth", created_at=timezone.now() - timedelta(days=1))
    earlier.settings = {**earlier.settings, "smtp": {**earlier.settings["smtp"], "port": 465}}
    earlier.save()
    return make_failed_test(mailbox, "imap_auth", reason="bad_credentials")


def test_it_shows_steps_replies_transcript_settings_suggestions_and_earlier_attempts(
    client, admin_user, failed
):
    client.force_login(admin_user)
    body = client.get(reverse("review_detail", args=[failed.pk])).content.decode()
    for expected in (
        'data-step="imap-login"',
        '<span class="ms">345 ms</span>',  # timings
        "a1 NO [AUTHENTICATIONFAILED] Authentication failed.",  # the server reply
        '<details class="transcript">',  # the transcript, collapsed
        "C: a1 LOGIN alice ****",
        "127.0.0.1:2525 · STARTTLS",  # the settings at test time
        "Use the full address as username.",  # the suggestion offered
        "bad_credentials",
        "127.0.0.1:465",  # the earlier attempt, with the settings it used
        "smtp_auth",
        "alice",  # the user
        "Not reviewed yet.",
    ):
        assert expected in body, expected
    assert PASSWORD not in body


def test_it_marks_reviewed_and_back(client, admin_user, failed):
    client.force_login(admin_user)
    client.post(reverse("review_mark", args=[failed.pk]), {"reviewed": "1"})
    client.post(reverse("review_mark", args=[failed.pk]), {"reviewed": "1"})  # twice is fine
    review = Review.objects.get(test=failed)
    assert review.reviewed_by == admin_user
    assert "Reviewed by ada-admin" in client.get(reverse("review_detail", args=[failed.pk])).content.decode()
    client.post(reverse("review_mark", args=[failed.pk]), {"reviewed": "0"})
    assert not Review.objects.exists()


def test_it_adds_notes_and_refuses_empty_or_huge_ones(client, admin_user, failed):
    client.force_login(admin_user)
    client.post(reverse("review_note", args=[failed.pk]), {"text": "  Zoho needs IMAP switched on. <b>  "})
    client.post(reverse("review_note", args=[failed.pk]), {"text": "   "})
    client.post(reverse("review_note", args=[failed.pk]), {"text": "nul \x00 byte"})
    response = client.post(reverse("review_note", args=[failed.pk]), {"text": "n" * 2001}, follow=True)
    assert "between 1 and 2000 characters of plain text" in response.content.decode()
    assert list(Note.objects.values_list("text", "author")) == [
        ("Zoho needs IMAP switched on. <b>", admin_user.pk)
    ]
    body = client.get(reverse("review_detail", args=[failed.pk])).content.decode()
    assert "Zoho needs IMAP switched on. &lt;b&gt;" in body


def test_it_downloads_the_diagnostic_report_as_json(client, admin_user, failed):
    client.force_login(admin_user)
    Note.objects.create(test=failed, author=admin_user, text="looked at it")
    Review.objects.create(test=failed, reviewed_by=admin_user)
    response = client.get(reverse("review_report", args=[failed.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="connection-test-{failed.pk}.json"'
    report = json.loads(response.content)
    assert (
        report["email"] == "alice@zoho.example"
        and report["provider"] == "zoho"
        and report["status"] == "failed"
    )
    assert (
        report["errors"][0]["code"] == "imap_auth"
        and report["errors"][0]["title"] == "IMAP authentication error"
    )
    assert report["errors"][0]["suggestion"]["imap_username"] == "alice@zoho.example"
    assert [s["name"] for s in report["steps"]] == ["connect", "login"] and report["steps"][1]["ms"] == 345
    assert report["settings"]["imap"]["port"] == 1143 and "AUTHENTICATIONFAILED" in report["transcript"]
    assert report["reviewed"] is True and report["notes"][0]["text"] == "looked at it"
    assert PASSWORD not in response.content.decode()


def test_it_never_puts_a_password_like_field_of_a_snapshot_in_pages_or_reports(client, admin_user, failed):
    # Snapshots are made without the password; if one ever had it, it still would not show.
    ConnectionTest.objects.filter(pk=failed.pk).update(
        settings={
            **failed.settings,
            "password": PASSWORD,
            "smtp": {**failed.settings["smtp"], "smtp_password": PASSWORD},
        }
    )
    client.force_login(admin_user)
    for name in ("review_detail", "review_report", "review_status"):
        assert PASSWORD not in client.get(reverse(name, args=[failed.pk])).content.decode()


def test_it_watches_a_running_test_until_it_is_final(client, admin_user, failed, make_failed_test):
    client.force_login(admin_user)
    running = make_failed_test(failed.mailbox, status="running")
    page = client.get(reverse("review_detail", args=[running.pk])).content.decode()
    assert stream_topics(page) == f"test-{running.pk}"
    assert f'hx-trigger="sse:test-{running.pk}"' in page
    url = refresh_url(page)
    assert url.startswith(reverse("review_status", args=[running.pk]))
    partial = client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == HTTPStatus.OK and not closes_stream(partial.content.decode())
    ConnectionTest.objects.filter(pk=running.pk).update(status="failed")
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == HTTPStatus.OK and closes_stream(done.content.decode())
    final_page = client.get(reverse("review_detail", args=[failed.pk])).content.decode()
    assert "sse-connect" not in final_page


def test_it_queues_a_rerun_for_the_mailbox(client, admin_user, failed, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("review_rerun", args=[failed.pk]))
    new = ConnectionTest.objects.latest("pk")
    assert new.pk != failed.pk and new.mailbox_id == failed.mailbox_id and new.status == "queued"
    assert response["Location"] == reverse("review_detail", args=[new.pk]) and callbacks
    # Queued once, through the outbox, in the same transaction as the test.
    assert list(OutboxMessage.objects.values_list("task", "args")) == [(RUN_CONNECTION_TEST, [new.pk])]
    assert "password" not in json.dumps(new.settings).lower()


@pytest.mark.parametrize("name", ["review_detail", "review_report", "review_status"])
def test_it_answers_404_for_unknown_tests(client, admin_user, name):
    client.force_login(admin_user)
    assert client.get(reverse(name, args=[987654])).status_code == HTTPStatus.NOT_FOUND


def test_it_shows_a_test_in_a_constant_number_of_queries(
    client, admin_user, failed, make_failed_test, django_assert_max_num_queries
):
    client.force_login(admin_user)
    for _ in range(25):
        make_failed_test(failed.mailbox, "timeout", extra_codes=("ssl",))
        Note.objects.create(test=failed, author=admin_user, text="again")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("review_detail", args=[failed.pk]))
    assert len(response.context["attempts"]) == 20
