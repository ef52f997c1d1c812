"""What an agent does on a request: see the mailbox as it is now, re-run its test (and
follow it live), assign, write internal notes, insert saved replies."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.dispatch import RUN_CONNECTION_TEST
from core.models import OutboxMessage
from core.roles import SUPPORT, grant
from diagnostics.models import ConnectionTest
from support import flows
from support.forms import ScreenshotsField
from support.models import InternalNote, SavedReply, SupportRequest
from tests.live.pages import closes_stream, stream_topics
from tests.staff_fixtures import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(user, make_mailbox, make_failed_test):
    mailbox = make_mailbox(user, email="alice@zoho.example", provider_id="zoho", status="failed")
    test = make_failed_test(mailbox, "imap_auth", reason="imap_disabled")
    upload = SimpleUploadedFile("mine.png", image_bytes(), content_type="image/png")
    return flows.open_request(
        user, test, "It fails", "alice@home.example", ScreenshotsField().clean([upload])
    )


def _page(client, case):
    response = client.get(reverse("support_queue_detail", args=[case.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_it_shows_the_mailbox_now_and_its_latest_test(client, support_user, case, make_failed_test):
    client.force_login(support_user)
    body = _page(client, case)
    assert "The mailbox now" in body and "IMAP authentication error" in body
    assert "(the one the user asked about)" in body
    newer = make_failed_test(case.mailbox, status="connected")
    body = _page(client, case)
    assert f"Latest test #{newer.pk}" in body and "Connected" in body
    assert "Steps and transcript" not in body  # that page is for admins


def test_it_reruns_the_test_and_follows_it_live(
    client, support_user, case, django_capture_on_commit_callbacks
):
    client.force_login(support_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("support_queue_rerun", args=[case.pk]))
    new = case.mailbox.tests.order_by("-pk").first()
    assert response.status_code == HTTPStatus.FOUND and new.status == ConnectionTest.Status.QUEUED
    assert callbacks  # handed to the worker once the transaction commits
    # Queued once, through the outbox, in the same transaction as the test.
    assert list(OutboxMessage.objects.values_list("task", "args")) == [(RUN_CONNECTION_TEST, [new.pk])]
    body = _page(client, case)
    assert stream_topics(body) == f"test-{new.pk}"
    assert "Testing…" in body
    # The agent may watch that test's topic; a user who is not its owner may not.
    from live import topics

    assert topics.allowed(support_user, f"test-{new.pk}")
    ConnectionTest.objects.filter(pk=new.pk).update(status="connected")
    partial = client.get(
        reverse("support_queue_mailbox", args=[case.pk]), {"live": f"test-{new.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == HTTPStatus.OK and closes_stream(partial.content.decode())


def test_an_agent_may_not_watch_tests_nobody_asked_about(support_user, user, make_mailbox, make_failed_test):
    from live import topics

    other = make_failed_test(make_mailbox(user, email="quiet@zoho.example"))
    assert not topics.allowed(support_user, f"test-{other.pk}")


def test_it_says_so_when_the_mailbox_is_gone(client, support_user, case):
    case.mailbox.delete()
    client.force_login(support_user)
    assert "The user deleted this mailbox" in _page(client, case)
    response = client.post(reverse("support_queue_rerun", args=[case.pk]), follow=True)
    assert "nothing to test" in response.content.decode()


def test_it_assigns_to_me_to_a_colleague_and_back_to_nobody(client, support_user, case, make_user):
    colleague = make_user("cleo")
    grant(colleague, SUPPORT)
    outsider = make_user("not-an-agent")
    client.force_login(support_user)
    url = reverse("support_queue_assign", args=[case.pk])
    client.post(url, {"assignee": "me"})
    assert SupportRequest.objects.get(pk=case.pk).assignee == support_user
    client.post(url, {"assignee": colleague.pk})
    assert SupportRequest.objects.get(pk=case.pk).assignee == colleague
    response = client.post(url, {"assignee": outsider.pk}, follow=True)
    assert "Choose one of the support agents" in response.content.decode()
    assert SupportRequest.objects.get(pk=case.pk).assignee == colleague
    client.post(url, {"assignee": ""})
    assert SupportRequest.objects.get(pk=case.pk).assignee is None


def test_internal_notes_are_for_staff_only(client, support_user, user, case):
    client.force_login(support_user)
    response = client.post(reverse("support_queue_note", args=[case.pk]), {"text": "Checked with Zoho <b>"})
    assert response.status_code == HTTPStatus.FOUND
    assert "Checked with Zoho &lt;b&gt;" in _page(client, case)
    bad = client.post(reverse("support_queue_note", args=[case.pk]), {"text": "  "})
    assert bad.status_code == HTTPStatus.OK and InternalNote.objects.count() == 1
    client.force_login(user)
    own = client.get(reverse("support_detail", args=[case.pk])).content.decode()
    assert "Checked with Zoho" not in own and "Internal" not in own


def test_saved_replies_are_offered_for_insertion(client, support_user, case):
    SavedReply.objects.create(title="Zoho IMAP switch", text="Switch IMAP on:\nSettings > Mail accounts.")
    client.force_login(support_user)
    body = _page(client, case)
    assert "Zoho IMAP switch" in body and "Switch IMAP on:<br>Settings &gt; Mail accounts." in body
    assert 'data-saved-reply="saved-reply-' in body and "js/saved-replies.js" in body


def test_saved_replies_are_managed_in_the_django_admin_by_support(client, support_user):
    client.force_login(support_user)
    response = client.post(
        reverse("admin:support_savedreply_add"), {"title": "Greeting", "text": "Hello, thanks for writing."}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert SavedReply.objects.get().title == "Greeting"


def test_screenshots_are_thumbnails_that_open_full_size(client, support_user, case):
    client.force_login(support_user)
    body = _page(client, case)
    shot = case.screenshots.get(kind="upload")
    url = reverse("support_screenshot", args=[shot.pk])
    assert f'<a href="{url}" target="_blank" rel="noopener">' in body
    assert "open full size" in body


def test_the_wait_restarts_when_the_turn_changes(client, support_user, user, case):
    opened = case.waiting_since
    client.force_login(support_user)
    client.post(reverse("support_queue_reply", args=[case.pk]), {"text": "Try this", "status": "waiting"})
    answered = SupportRequest.objects.get(pk=case.pk).waiting_since
    assert answered > opened
    client.force_login(user)
    client.post(reverse("support_follow_up", args=[case.pk]), {"message": "Done, still failing"})
    again = SupportRequest.objects.get(pk=case.pk)
    assert again.status == "open" and again.waiting_since > answered
