from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError

pytestmark = pytest.mark.django_db


def _failed_test(mailbox, suggestion=None, folders=()):
    test = ConnectionTest.objects.create(
        mailbox=mailbox, status="failed", settings=mailbox.settings_snapshot(), folders=list(folders)
    )
    error = TestError.objects.create(
        test=test, code="ssl", reason="wrong_mode", protocol="smtp", suggestion=suggestion
    )
    return test, error


def test_it_applies_a_suggested_fix_and_tests_again(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, smtp_port=587, smtp_security="ssl")
    _, error = _failed_test(mailbox, {"smtp_security": "starttls", "message": "Port 587 expects STARTTLS."})
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Port 587 expects STARTTLS." in page and "Apply and test again" in page

    response = client_a.post(reverse("mailbox_apply_fix", args=[mailbox.pk, error.pk]))
    assert response.status_code == HTTPStatus.FOUND
    mailbox.refresh_from_db()
    assert mailbox.smtp_security == "starttls" and mailbox.smtp_port == 587
    assert mailbox.tests.filter(status="queued").count() == 1


@pytest.mark.parametrize(
    "suggestion",
    [
        {"password_encrypted": "x", "message": "m"},
        {"smtp_port": 99999, "message": "m"},
        {"smtp_security": "tls13", "message": "m"},
        {"user_id": 1},
        {"message": "only words"},
    ],
)
def test_it_refuses_to_apply_anything_but_a_valid_fix(client_a, user, make_mailbox, suggestion):
    mailbox = make_mailbox(user)
    before = Mailbox.objects.filter(pk=mailbox.pk).values().get()
    _, error = _failed_test(mailbox, suggestion)
    client_a.post(reverse("mailbox_apply_fix", args=[mailbox.pk, error.pk]))
    after = Mailbox.objects.filter(pk=mailbox.pk).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_it_remembers_the_chosen_sent_folder(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    _failed_test(mailbox, folders=["INBOX", "Ausgang", "Entwürfe"])
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Or use one of your folders" in page and "Ausgang" in page
    client_a.post(reverse("mailbox_choose_folder", args=[mailbox.pk]), {"folder": "Ausgang"})
    mailbox.refresh_from_db()
    assert mailbox.sent_folder == "Ausgang" and mailbox.sent_folder_chosen


def test_it_refuses_a_folder_the_server_did_not_list(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    _failed_test(mailbox, folders=["INBOX"])
    client_a.post(reverse("mailbox_choose_folder", args=[mailbox.pk]), {"folder": "x" * 10_000})
    mailbox.refresh_from_db()
    assert mailbox.sent_folder == "" and not mailbox.sent_folder_chosen


def test_the_fix_and_folder_urls_return_404_for_another_user(client, user, other_user, make_mailbox):
    theirs = make_mailbox(other_user, email="bob@example.test")
    _, error = _failed_test(theirs, {"smtp_security": "starttls", "message": "m"}, folders=["Sent"])
    mine = make_mailbox(user)
    client.force_login(user)
    assert client.post(reverse("mailbox_apply_fix", args=[theirs.pk, error.pk])).status_code == 404
    # Someone else's error id under my own mailbox is just as unknown.
    assert client.post(reverse("mailbox_apply_fix", args=[mine.pk, error.pk])).status_code == 404
    response = client.post(reverse("mailbox_choose_folder", args=[theirs.pk]), {"folder": "Sent"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.smtp_security == "starttls" and not theirs.sent_folder_chosen


def test_the_transcript_shows_collapsed_on_a_final_test(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test, _ = _failed_test(mailbox)
    test.transcript = "=== SMTP ===\nS: 220 hello\nC: EHLO localhost"
    test.save()
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert '<details class="transcript">' in page and "C: EHLO localhost" in page


def test_grouped_app_passwords_lose_their_spaces(client_a, user):
    client_a.post(
        reverse("mailbox_new"),
        {
            "email": "me@icloud.com",
            "password": "abcd efgh ijkl mnop",
            "smtp_host": "smtp.mail.me.com",
            "smtp_port": 587,
            "smtp_security": "starttls",
            "imap_host": "imap.mail.me.com",
            "imap_port": 993,
            "imap_security": "ssl",
        },
    )
    assert Mailbox.objects.get(user=user).get_password() == "abcdefghijklmnop"
