"""The support flow end to end through the views: user -> request -> queue -> reply -> user."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from support.models import Message, Screenshot, SupportRequest
from tests.staff_fixtures import PASSWORD, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(user, make_mailbox, make_failed_test):
    mailbox = make_mailbox(user, email="alice@zoho.example", password=PASSWORD, provider_id="zoho")
    return make_failed_test(mailbox, code="imap_auth", reason="bad_credentials")


def _upload(data=None, name="shot.png", content_type="image/png"):
    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


def _open(client, test, **extra):
    data = {"message": "It keeps failing.", "contact_email": "alice@home.example", **extra}
    return client.post(reverse("support_new", args=[test.pk]), data)


def test_it_links_the_failed_test_to_a_prefilled_request_form(client_a, failed):
    page = client_a.get(reverse("mailbox_detail", args=[failed.mailbox_id])).content.decode()
    assert reverse("support_new", args=[failed.pk]) in page and "mailto:" not in page

    body = client_a.get(reverse("support_new", args=[failed.pk])).content.decode()
    for expected in (
        "alice@zoho.example",  # the address
        "127.0.0.1:2525",  # the SMTP settings entered
        "127.0.0.1:1143",  # the IMAP settings entered
        "IMAP authentication error",  # the exact error shown
        "AUTHENTICATIONFAILED",  # the server's reply
        'data-step="imap-login"',  # the steps
        '<details class="transcript">',  # the transcript, collapsed
        'name="csrfmiddlewaretoken"',
        'enctype="multipart/form-data"',
    ):
        assert expected in body, expected
    assert PASSWORD not in body


def test_it_opens_a_request_with_screenshots_and_a_settings_snapshot(client_a, user, failed):
    response = _open(
        client_a, failed, screenshots=[_upload(), _upload(image_bytes("JPEG"), "b.jpg", "image/jpeg")]
    )
    request = SupportRequest.objects.get(user=user)
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == request.get_absolute_url()
    assert (
        request.status == "open" and request.email == "alice@zoho.example" and request.provider_id == "zoho"
    )
    assert request.settings["imap"]["port"] == 1143 and request.error_codes == ",imap_auth,"
    assert request.errors[0]["server_reply"].startswith("a1 NO") and request.steps[1]["ms"] == 345
    assert "AUTHENTICATIONFAILED" in request.transcript
    kinds = sorted(request.screenshots.values_list("kind", "format"))
    assert kinds == [("snapshot", "PNG"), ("upload", "JPEG"), ("upload", "PNG")]
    snapshot = request.screenshots.get(kind="snapshot")
    with snapshot.file.open("rb") as fh:
        assert Image.open(fh).format == "PNG"


def test_it_makes_a_settings_snapshot_even_without_uploads(client_a, user, failed):
    _open(client_a, failed)
    assert SupportRequest.objects.get(user=user).screenshots.filter(kind="snapshot").count() == 1


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.png", "SVG, HTML"),
        (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "x.png", "web page or script"),
        (image_bytes() + b"\x00" * (20 * 1024 * 1024), "huge.png", "larger than 10 MB"),
        (image_bytes("GIF"), "anim.png", "PNG, JPEG or WebP"),
    ],
    ids=["svg", "html-png-header", "20mb", "gif"],
)
def test_it_refuses_bad_uploads_with_a_message_and_creates_nothing(client_a, failed, data, name, message):
    response = _open(client_a, failed, screenshots=[_upload(data, name)])
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not SupportRequest.objects.exists() and not Screenshot.objects.exists()


def test_it_caps_the_number_of_screenshots_per_upload(client_a, failed, settings):
    response = _open(
        client_a, failed, screenshots=[_upload() for _ in range(settings.SUPPORT_SCREENSHOTS_PER_UPLOAD + 1)]
    )
    assert "Attach at most" in response.content.decode() and not SupportRequest.objects.exists()


def test_it_validates_the_message_and_reply_address(client_a, failed):
    response = client_a.post(
        reverse("support_new", args=[failed.pk]), {"message": "", "contact_email": "nope"}
    )
    body = response.content.decode()
    assert (
        response.status_code == HTTPStatus.OK and "This field is required" in body and "valid email" in body
    )
    response = _open(client_a, failed, message="x" * 6000)
    assert response.status_code == HTTPStatus.OK and not SupportRequest.objects.exists()


def test_it_only_opens_requests_for_the_users_own_failed_tests(
    client, other_user, user, make_mailbox, make_failed_test, failed
):
    client.force_login(other_user)
    assert client.get(reverse("support_new", args=[failed.pk])).status_code == HTTPStatus.NOT_FOUND
    assert _open(client, failed).status_code == HTTPStatus.NOT_FOUND
    client.force_login(user)
    connected = make_failed_test(failed.mailbox, status="connected")
    assert client.get(reverse("support_new", args=[connected.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("support_new", args=[999999])).status_code == HTTPStatus.NOT_FOUND


def test_it_runs_the_whole_support_conversation(client, user, support_user, failed, mailoutbox):
    # The user asks for help.
    client.force_login(user)
    _open(client, failed, screenshots=[_upload()])
    request = SupportRequest.objects.get()
    upload = request.screenshots.get(kind="upload")

    # Support finds it in the queue (open, newest first) and sees everything with the screenshots inline.
    client.force_login(support_user)
    queue = client.get(reverse("support_queue")).content.decode()
    assert reverse("support_queue_detail", args=[request.pk]) in queue
    page = client.get(reverse("support_queue_detail", args=[request.pk])).content.decode()
    assert f'<img src="{reverse("support_screenshot", args=[upload.pk])}"' in page
    for expected in (
        "It keeps failing.",
        "IMAP authentication error",
        "AUTHENTICATIONFAILED",
        "127.0.0.1:1143",
    ):
        assert expected in page
    assert client.get(reverse("support_screenshot", args=[upload.pk])).status_code == HTTPStatus.OK

    # Support replies: the user gets an email and the request waits for them.
    response = client.post(
        reverse("support_queue_reply", args=[request.pk]),
        {"text": "Please switch IMAP on in Zoho's settings.", "status": "waiting"},
    )
    assert response.status_code == HTTPStatus.FOUND
    request.refresh_from_db()
    assert request.status == "waiting"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@home.example"] and "switch IMAP on" in email.body
    assert f"/support/{request.pk}/" in email.body

    # The user sees the reply and adds another screenshot; the request is open again.
    client.force_login(user)
    mine = client.get(reverse("support_detail", args=[request.pk])).content.decode()
    assert "switch IMAP on" in mine and "Waiting for user" in mine
    response = client.post(
        reverse("support_follow_up", args=[request.pk]),
        {
            "message": "Done, still failing.",
            "screenshots": [_upload(image_bytes("WEBP"), "c.webp", "image/webp")],
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    request.refresh_from_db()
    assert request.status == "open" and request.screenshots.filter(kind="upload").count() == 2
    assert list(request.messages.values_list("from_support", flat=True)) == [True, False]

    # Support resolves it; the user's list shows that.
    client.force_login(support_user)
    client.post(reverse("support_queue_status", args=[request.pk]), {"status": "resolved"})
    client.force_login(user)
    assert "Resolved" in client.get(reverse("support_list")).content.decode()


def test_it_saves_the_reply_when_the_email_cannot_be_sent(client, support_user, user, failed, settings):
    client.force_login(user)
    _open(client, failed)
    request = SupportRequest.objects.get()
    settings.MAILERS = {"default": {"BACKEND": "tests.support.broken_mail.Backend"}}
    client.force_login(support_user)
    response = client.post(
        reverse("support_queue_reply", args=[request.pk]),
        {"text": "Try again.", "status": "waiting"},
        follow=True,
    )
    assert "could not be sent" in response.content.decode()
    assert Message.objects.filter(request=request, from_support=True).count() == 1


def test_it_asks_for_something_when_a_follow_up_is_empty(client_a, user, failed):
    _open(client_a, failed)
    request = SupportRequest.objects.get()
    response = client_a.post(reverse("support_follow_up", args=[request.pk]), {"message": ""})
    assert (
        response.status_code == HTTPStatus.OK
        and "Write a message or attach a screenshot" in response.content.decode()
    )
    response = client_a.post(
        reverse("support_follow_up", args=[request.pk]), {"screenshots": [_upload(b"<svg></svg>", "a.svg")]}
    )
    assert "SVG, HTML" in response.content.decode() and request.screenshots.count() == 1


def test_it_rejects_invalid_status_and_reply_values(client, support_user, user, failed):
    client.force_login(user)
    _open(client, failed)
    request = SupportRequest.objects.get()
    client.force_login(support_user)
    client.post(reverse("support_queue_status", args=[request.pk]), {"status": "deleted"})
    response = client.post(reverse("support_queue_reply", args=[request.pk]), {"text": "", "status": "bogus"})
    assert response.status_code == HTTPStatus.OK
    request.refresh_from_db()
    assert request.status == "open" and not request.messages.exists()


def test_it_serves_screenshots_only_through_the_checking_view(client_a, user, failed, media_root):
    _open(client_a, failed, screenshots=[_upload()])
    shot = Screenshot.objects.get(kind="upload")
    response = client_a.get(reverse("support_screenshot", args=[shot.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("inline;")
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == "PNG"
    # The stored file exists under MEDIA_ROOT, but no URL serves that folder.
    assert (media_root / shot.file.name).exists()
    for url in (f"/media/{shot.file.name}", f"/{shot.file.name}", f"/static/{shot.file.name}"):
        assert client_a.get(url).status_code == HTTPStatus.NOT_FOUND


def test_it_answers_404_when_the_stored_file_is_gone(client_a, failed):
    _open(client_a, failed)
    shot = Screenshot.objects.get()
    shot.file.storage.delete(shot.file.name)
    assert client_a.get(reverse("support_screenshot", args=[shot.pk])).status_code == HTTPStatus.NOT_FOUND
