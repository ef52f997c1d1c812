"""The mailbox password never reaches support pages, emails, images or reports."""

import base64
import io
import urllib.parse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from support.models import Screenshot, SupportRequest
from support.snapshot import PASSWORD_MASK, draw_settings_png, rows_for
from tests.staff_fixtures import PASSWORD, image_bytes

pytestmark = pytest.mark.django_db


def _forms(secret):
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret),
        secret.encode().hex(),
    ]


def _assert_clean(data):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    for form in _forms(PASSWORD):
        assert form not in text


def test_it_keeps_the_password_out_of_every_page_email_image_and_report(
    client, user, support_user, admin_user, make_mailbox, make_failed_test, mailoutbox
):
    mailbox = make_mailbox(user, email="alice@zoho.example", password=PASSWORD, provider_id="zoho")
    test = make_failed_test(mailbox)
    client.force_login(user)
    seen = [client.get(reverse("support_new", args=[test.pk])).content]
    upload = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    client.post(
        reverse("support_new", args=[test.pk]),
        {"message": "help", "contact_email": "a@home.example", "screenshots": [upload]},
    )
    request = SupportRequest.objects.get()
    seen.append(client.get(reverse("support_detail", args=[request.pk])).content)
    client.force_login(support_user)
    seen.append(client.get(reverse("support_queue")).content)
    seen.append(client.get(reverse("support_queue_detail", args=[request.pk])).content)
    client.post(reverse("support_queue_reply", args=[request.pk]), {"text": "ok", "status": "waiting"})
    seen += [m.message().as_bytes() for m in mailoutbox]
    for shot in Screenshot.objects.all():
        seen.append(b"".join(client.get(reverse("support_screenshot", args=[shot.pk])).streaming_content))
        with shot.file.open("rb") as fh:
            seen.append(fh.read())
    client.force_login(admin_user)
    for name in ("review_detail", "review_report", "review_status"):
        seen.append(client.get(reverse(name, args=[test.pk])).content)
    seen.append(client.get(reverse("review_list")).content)
    seen.append(repr(list(SupportRequest.objects.values())).encode())
    assert len(mailoutbox) == 1 and len(seen) > 10
    for data in seen:
        _assert_clean(data)


def test_it_draws_the_same_snapshot_whatever_the_password(user, other_user, make_mailbox, make_failed_test):
    # Two people's mailboxes: one person connects an address once.
    first = make_failed_test(make_mailbox(user, email="a@zoho.example", password="one-password"))
    second = make_failed_test(make_mailbox(other_user, email="a@zoho.example", password=PASSWORD))
    draw = [
        draw_settings_png(t.settings, "Zoho Mail", [{"code": "imap_auth"}], "2026-03-01 10:00 UTC")
        for t in (first, second)
    ]
    assert draw[0] == draw[1]  # the password cannot influence the picture
    image = Image.open(io.BytesIO(draw[0]))
    assert image.format == "PNG" and image.width == 760
    rows = rows_for(
        first.settings, "Zoho Mail", [{"code": "imap_auth", "title": "IMAP authentication error"}]
    )
    assert ("v", "Password", PASSWORD_MASK) in rows
    assert ("v", "Server", "127.0.0.1") in rows and (
        "e",
        "Error",
        "IMAP authentication error [imap_auth]",
    ) in rows


def test_it_masks_the_password_even_if_a_snapshot_carried_one():
    rows = rows_for({"email": "a@b.example", "password": PASSWORD, "smtp": {"host": "h"}}, "", [])
    assert all(PASSWORD not in str(value) for _, _, value in rows)
