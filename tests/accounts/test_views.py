from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from core.dispatch import RUN_CONNECTION_TEST
from core.models import OutboxMessage
from diagnostics.models import ConnectionTest

pytestmark = pytest.mark.django_db

SECRET = "Sup3r-Secret-Pässword"


def _form(**overrides):
    data = {
        "email": "carol@example.test",
        "password": SECRET,
        "username": "",
        "smtp_host": "127.0.0.1",
        "smtp_port": "2525",
        "smtp_security": "starttls",
        "imap_host": "127.0.0.1",
        "imap_port": "1143",
        "imap_security": "ssl",
    }
    data.update(overrides)
    return data


def test_it_signs_up_logs_out_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {
            "email": "dora@example.test",
            "password1": "a-long enough pw 42",
            "password2": "a-long enough pw 42",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("mailbox_list")).status_code == HTTPStatus.OK
    client.post(reverse("logout"))
    assert client.get(reverse("mailbox_list")).status_code == HTTPStatus.FOUND
    assert client.login(username="dora@example.test", password="a-long enough pw 42")


def test_it_requires_login(client):
    response = client.get(reverse("mailbox_new"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("login") in response["Location"]


def test_it_saves_the_mailbox_encrypted_and_queues_one_test(
    client_a, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_a.post(reverse("mailbox_new"), _form())
    mailbox = Mailbox.objects.get(user=user)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("mailbox_detail", args=[mailbox.pk])
    assert SECRET not in mailbox.password_encrypted
    assert mailbox.get_password() == SECRET
    test = mailbox.tests.get()
    # One task, in the outbox, written in the same transaction; sent once it commits.
    assert list(OutboxMessage.objects.values_list("task", "args")) == [(RUN_CONNECTION_TEST, [test.pk])]
    assert callbacks, "the hand-over to the broker waits for the commit"
    assert mailbox.status == Mailbox.Status.TESTING


def test_it_never_renders_the_password(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, password=SECRET)
    for name in ("mailbox_detail", "mailbox_edit", "mailbox_status"):
        body = client_a.get(reverse(name, args=[mailbox.pk])).content.decode()
        assert SECRET not in body
    response = client_a.post(reverse("mailbox_new"), _form(smtp_port="99999"))
    assert response.status_code == HTTPStatus.OK
    assert SECRET not in response.content.decode()


def test_it_does_not_queue_a_second_test_while_one_is_pending(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    assert ConnectionTest.objects.filter(mailbox=mailbox).count() == 1


@pytest.mark.parametrize(
    "name,method",
    [
        ("mailbox_detail", "get"),
        ("mailbox_status", "get"),
        ("mailbox_edit", "get"),
        ("mailbox_edit", "post"),
        ("mailbox_retest", "post"),
        ("mailbox_delete", "get"),
        ("mailbox_delete", "post"),
    ],
)
def test_it_returns_404_for_another_users_mailbox(client, other_user, user, make_mailbox, name, method):
    mailbox = make_mailbox(other_user, email="bob@example.test")
    client.force_login(user)
    response = getattr(client, method)(reverse(name, args=[mailbox.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()
    assert "bob@example.test" not in response.content.decode()


def test_it_lists_only_the_users_own_mailboxes(client_a, user, other_user, make_mailbox):
    make_mailbox(user, email="mine@example.test")
    make_mailbox(other_user, email="theirs@example.test")
    body = client_a.get(reverse("mailbox_list")).content.decode()
    assert "mine@example.test" in body and "theirs@example.test" not in body


@pytest.mark.parametrize(
    "email,expected",
    [
        ("someone@gmail.com", "Sign in with Google"),
        ("someone@hotmail.co.uk", "Sign in with Microsoft"),
        ("someone@outlook.com", "Sign in with Microsoft"),
        ("someone@proton.me", "cannot be connected"),
        ("someone@icloud.com", "Not recommended"),
        ("someone@zoho.com", "Switch on IMAP access"),
    ],
)
def test_it_explains_provider_rules_as_the_user_types(client_a, oauth_clients, email, expected):
    response = client_a.get(reverse("provider_hint"), {"email": email}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert expected in body
    assert "<html" not in body  # only the partial


def test_it_fills_in_known_server_settings(client_a):
    body = client_a.get(reverse("provider_hint"), {"email": "me@icloud.com"}).content.decode()
    assert 'value="imap.mail.me.com"' in body and 'value="smtp.mail.me.com"' in body
    assert 'name="password"' in body


@pytest.mark.parametrize(
    "email,message",
    [("someone@gmail.com", "Sign in with Google"), ("someone@proton.me", "no direct SMTP/IMAP")],
)
def test_it_refuses_sso_and_unsupported_providers_on_submit(client_a, oauth_clients, email, message):
    response = client_a.post(reverse("mailbox_new"), _form(email=email))
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("smtp_port", "70000", "less than or equal to 65535"),
        ("smtp_host", "bad host!", "not a valid host name"),
        ("imap_host", "x" * 10_000, "at most 253"),
        ("email", "not-an-address", "valid email"),
        ("username", "u" * 10_000, "at most 254"),
        ("password", "p" * 10_000, "at most 1024"),
        ("smtp_security", "none", "Unencrypted connections"),
    ],
)
def test_it_rejects_bad_input_with_a_clear_message(client_a, field, value, message):
    response = client_a.post(reverse("mailbox_new"), _form(**{field: value}))
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not Mailbox.objects.exists()
    if field != "email":
        assert 'value="carol@example.test"' in response.content.decode()  # nothing else lost


def test_it_allows_unencrypted_only_with_the_advanced_option(client_a, user):
    client_a.post(reverse("mailbox_new"), _form(smtp_security="none", allow_unencrypted="on"))
    assert Mailbox.objects.get(user=user).smtp_security == "none"


def test_it_stores_idn_hosts_as_punycode(client_a, user):
    client_a.post(reverse("mailbox_new"), _form(smtp_host="smtp.bücher.example"))
    assert Mailbox.objects.get(user=user).smtp_host == "smtp.xn--bcher-kva.example"


def test_it_keeps_the_saved_password_when_edit_leaves_it_empty(client_a, user, make_mailbox):
    mailbox = make_mailbox(user, password=SECRET)
    data = _form(email=mailbox.email, password="", smtp_port="587")
    response = client_a.post(reverse("mailbox_edit", args=[mailbox.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    mailbox.refresh_from_db()
    assert mailbox.smtp_port == 587 and mailbox.get_password() == SECRET


def test_it_deletes_a_mailbox(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    client_a.post(reverse("mailbox_delete", args=[mailbox.pk]))
    assert not Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_it_sends_a_content_security_policy_without_inline_scripts(client_a):
    response = client_a.get(reverse("mailbox_new"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
