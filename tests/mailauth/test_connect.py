"""Connecting with Google/Microsoft through our pages and the local authorization
server, then testing the mailbox with the worker's own procedure (in this process),
against Dovecot's oauth2 passdb and aiosmtpd with XOAUTH2."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import checks
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.flows import execute_test, start_test
from mailauth.models import OAuthCredential

from . import flows
from .authserver import GOOGLE_MAIL_SCOPE
from .fixtures import GOOGLE_CLIENT, GOOGLE_SCOPE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def tests_run_here(monkeypatch):
    """These tests run each connection test in this process (execute_test): nothing may
    reach the shared queue, where a session worker started by other modules would claim
    the test first, without this module's OAuth settings."""
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


@pytest.fixture
def mail(settings, oauth_settings, oauth_dovecot, oauth_smtp):
    """Local servers standing in for Gmail's; returns a fresh mailbox address there."""
    smtp = oauth_smtp(security="ssl")
    flows.servers_override(settings, smtp, oauth_dovecot)
    return oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("web"))


def _run(mailbox: Mailbox):
    test = start_test(mailbox)
    execute_test(test.pk)
    test.refresh_from_db()
    return test


def test_without_client_credentials_only_staff_see_the_variables(client, client_a, settings, make_user):
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    response = client_a.get(reverse("sso_start", args=["google"]), {"email": "someone@gmail.com"})
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "GOOGLE_OAUTH" not in body and "README" not in body
    assert client_a.get(reverse("sso_start", args=["yahoo"])).status_code == HTTPStatus.NOT_FOUND
    staff_person = make_user("staff-person")
    staff_person.is_staff = True
    staff_person.save()
    client.force_login(staff_person)
    staff = client.get(reverse("sso_start", args=["google"])).content.decode()
    assert "GOOGLE_OAUTH_CLIENT_ID" in staff and "GOOGLE_OAUTH_CLIENT_SECRET" in staff
    assert "/connect/oauth/google/callback/" in staff and "OAuth mailboxes" in staff


def test_a_half_configured_provider_is_a_system_check_warning(settings):
    settings.MICROSOFT_OAUTH_CLIENT_ID, settings.MICROSOFT_OAUTH_CLIENT_SECRET = "id-only", ""
    found = [m for m in checks.run_checks() if m.id == "mailauth.W001"]
    assert len(found) == 1 and "MICROSOFT_OAUTH_CLIENT_SECRET" in found[0].msg


def test_it_asks_for_exactly_the_mail_scopes_with_pkce(client_a, oauth_settings):
    google = flows.authorize_params(flows.start(client_a, "google", email="x@gmail.com"))
    assert google["scope"] == "https://mail.google.com/ openid email"
    assert google["code_challenge_method"] == "S256" and len(google["code_challenge"]) >= 43
    assert google["access_type"] == "offline" and google["prompt"] == "consent"
    assert google["login_hint"] == "x@gmail.com" and google["state"] and google["nonce"]
    microsoft = flows.authorize_params(flows.start(client_a, "microsoft"))
    assert microsoft["scope"].split() == [
        "offline_access",
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "openid",
        "email",
    ]
    assert "graph.microsoft.com" not in microsoft["scope"] and "User.Read" not in microsoft["scope"]


def test_it_connects_and_the_worker_tests_with_the_token(client_a, user, auth_server, mail):
    auth_server.sign_in_as(mail)
    response = flows.sign_in(client_a, email=mail)
    mailbox = Mailbox.objects.get(user=user)
    assert response.status_code == 302 and response["Location"] == reverse(
        "mailbox_detail", args=[mailbox.pk]
    )
    assert mailbox.email == mail and mailbox.auth_method == "oauth" and mailbox.password_encrypted == ""
    assert (mailbox.smtp_port, mailbox.imap_port) == (
        flows_port(auth_server, mailbox, "smtp"),
        flows_port(auth_server, mailbox, "imap"),
    )
    credential = mailbox.oauth
    (token,) = auth_server.active_tokens(mail)
    assert (
        credential.access_token() == token.access_token and credential.refresh_token() == token.refresh_token
    )
    assert token.access_token not in credential.access_token_encrypted
    assert GOOGLE_MAIL_SCOPE in credential.scope_list() and credential.email == mail
    # The token request carried the PKCE verifier.
    assert auth_server.token_requests[-1].get("code_verifier")
    test = mailbox.latest_test()
    execute_test(test.pk)
    test.refresh_from_db()
    assert test.status == "connected", list(test.errors.values("code", "reason", "detail"))
    assert test.sent_folder == "Sent"
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Connected" in page and "Reconnect with Google" in page
    assert token.access_token not in page and token.access_token not in test.transcript


def flows_port(auth_server, mailbox, protocol):
    from django.conf import settings

    return settings.OAUTH_MAIL_SERVERS["google"][protocol].port


def test_a_replayed_or_foreign_callback_is_refused(client_a, user, auth_server, mail, make_user, client):
    auth_server.sign_in_as(mail)
    callback = flows.consent(flows.start(client_a, email=mail))
    assert client_a.get(callback).status_code == 302
    replay = client_a.get(callback)
    assert replay.status_code == HTTPStatus.BAD_REQUEST and "already used" in replay.content.decode()
    assert Mailbox.objects.filter(user=user).count() == 1
    # A callback from someone else's sign-in (another session) is refused too.
    other_callback = flows.consent(flows.start(client_a, email=mail))
    stranger = make_user("mallory")
    client.force_login(stranger)
    assert client.get(other_callback).status_code == HTTPStatus.BAD_REQUEST
    assert not Mailbox.objects.filter(user=stranger).exists()
    # A state that was never issued.
    path, _, query = other_callback.partition("?")
    assert client_a.get(f"{path}?code=abc&state=forged").status_code == HTTPStatus.BAD_REQUEST


def test_another_vouched_address_is_said_and_chosen_not_mixed(client_a, user, auth_server, mail):
    auth_server.sign_in_as(mail)
    response = flows.sign_in(client_a, email="typed@example.test")
    assert response.status_code == 302 and response["Location"] == reverse("mailauth_choose")
    page = client_a.get(reverse("mailauth_choose")).content.decode()
    assert "typed@example.test" in page and mail in page
    assert not Mailbox.objects.filter(user=user).exists()
    client_a.post(reverse("mailauth_choose_answer"), {"action": "stop"})
    assert not Mailbox.objects.filter(user=user).exists()
    assert not auth_server.active_tokens(mail), "the unused grant was revoked"

    flows.sign_in(client_a, email="typed@example.test")
    client_a.post(reverse("mailauth_choose_answer"), {"action": "connect"})
    (mailbox,) = Mailbox.objects.filter(user=user)
    assert mailbox.email == mail and mailbox.oauth.email == mail


def _connected_mailbox(client_a, user, auth_server, mail) -> Mailbox:
    auth_server.sign_in_as(mail)
    flows.sign_in(client_a, email=mail)
    return Mailbox.objects.get(user=user, email=mail)


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept(
    client_a, user, auth_server, mail
):
    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    credential = mailbox.oauth
    old_access, old_refresh = credential.access_token(), credential.refresh_token()
    auth_server.expire(old_access)
    OAuthCredential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() - timedelta(seconds=5))
    test = _run(mailbox)
    assert test.status == "connected", list(test.errors.values("code", "reason"))
    credential.refresh_from_db()
    assert credential.access_token() != old_access and credential.last_refreshed_at is not None
    assert credential.refresh_token() != old_refresh, "the rotated refresh token is stored"
    assert credential.expires_at > timezone.now() + timedelta(minutes=30)


def test_a_token_the_server_refuses_early_is_renewed_once(client_a, user, auth_server, mail):
    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    auth_server.expire(mailbox.oauth.access_token())  # our clock still says it is good
    test = _run(mailbox)
    assert test.status == "connected", list(test.errors.values("code", "reason"))
    assert "(token renewed)" in " ".join(test.steps.values_list("detail", flat=True))


def test_a_revoked_grant_asks_to_reconnect_and_reconnect_works(client_a, user, auth_server, mail):
    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    auth_server.revoke_user(mail)
    test = _run(mailbox)
    assert test.status == "failed"
    assert set(test.errors.values_list("protocol", "reason")) == {
        ("smtp", "token_revoked"),
        ("imap", "token_revoked"),
    }
    assert OAuthCredential.objects.get(mailbox=mailbox).needs_reconnect
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    reconnect = f"{reverse('sso_start', args=['google'])}?mailbox={mailbox.pk}"
    assert f'href="{reconnect}"' in page and "Reconnect with Google" in page
    # The next test does not even try a dead grant.
    assert set(_run(mailbox).errors.values_list("reason", flat=True)) == {"token_revoked"}

    history = mailbox.tests.count()
    response = client_a.get(flows.consent(flows.start(client_a, mailbox=mailbox.pk)))
    assert response["Location"] == reverse("mailbox_detail", args=[mailbox.pk])
    mailbox.refresh_from_db()
    assert not mailbox.oauth.needs_reconnect and mailbox.tests.count() == history + 1
    test = mailbox.latest_test()
    execute_test(test.pk)
    test.refresh_from_db()
    assert test.status == "connected", list(test.errors.values("code", "reason"))


def test_another_users_mailbox_cannot_be_reconnected(client_a, make_user, make_mailbox, oauth_settings):
    theirs = make_mailbox(make_user("bob"), email="bob@gmail.com")
    response = client_a.get(reverse("sso_start", args=["google"]), {"mailbox": theirs.pk})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_token_without_mail_or_of_another_account_gets_its_reason(client_a, user, auth_server, mail):
    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    credential = mailbox.oauth
    stranger = auth_server.issue("stranger@example.test", GOOGLE_SCOPE, GOOGLE_CLIENT[0])
    credential.set_access_token(stranger.access_token)
    credential.set_refresh_token(stranger.refresh_token)
    credential.save()
    assert set(_run(mailbox).errors.values_list("reason", flat=True)) == {"token_wrong_account"}

    OAuthCredential.objects.filter(pk=credential.pk).update(scopes="openid email")
    test = _run(mailbox)
    assert set(test.errors.values_list("reason", flat=True)) == {"insufficient_scope"}
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "leave the mail permission ticked" in page and "Reconnect with Google" in page


def test_removing_a_mailbox_revokes_its_grant(client_a, user, auth_server, mail):
    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    assert auth_server.active_tokens(mail)
    client_a.post(reverse("mailbox_delete", args=[mailbox.pk]))
    assert not Mailbox.objects.filter(pk=mailbox.pk).exists()
    assert not OAuthCredential.objects.exists()
    assert not auth_server.active_tokens(mail) and mail in auth_server.revocations


def test_credential_commands_cover_the_tokens(client_a, user, auth_server, mail, settings, capsys):
    from cryptography.fernet import Fernet

    mailbox = _connected_mailbox(client_a, user, auth_server, mail)
    access = mailbox.oauth.access_token()
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new_key, *settings.CREDENTIALS_KEYS]
    call_command("rotate_credentials")
    assert "Re-encrypted 2 credential(s)" in capsys.readouterr().out  # the password-less mailbox is skipped
    settings.CREDENTIALS_KEYS = [new_key]
    call_command("check_credentials")
    assert OAuthCredential.objects.get(mailbox=mailbox).access_token() == access
