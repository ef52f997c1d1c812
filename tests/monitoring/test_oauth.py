"""An OAuth mailbox whose grant is revoked at the provider: disconnected at once, with Reconnect."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.flows import execute_test
from mailauth.models import OAuthCredential
from monitoring import checks
from monitoring.models import State
from tests.mailauth import flows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def tests_run_here(monkeypatch):
    """These tests run each connection test in this process (execute_test): nothing may
    reach the shared queue, where a session worker started by other modules would claim
    the test first, without this module's OAuth settings."""
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


def test_a_revoked_refresh_token_disconnects_with_reconnect(
    client_a, user, auth_server, settings, oauth_settings, oauth_dovecot, oauth_smtp
):
    user.email = "alice@people.example"
    user.save()
    smtp = oauth_smtp(security="ssl")
    flows.servers_override(settings, smtp, oauth_dovecot)
    address = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("hoauth"))
    auth_server.sign_in_as(address)
    flows.sign_in(client_a, email=address)
    mailbox = Mailbox.objects.get(user=user, email=address)
    checks.ensure_health(mailbox)
    # The connect flow queued a test: a check never stacks on it.
    assert checks.run_check(mailbox.pk).skipped == "busy"
    execute_test(mailbox.latest_test().pk)
    first = checks.run_check(mailbox.pk)
    assert first.check.ok and first.after == State.CONNECTED  # the token works

    auth_server.revoke_user(address)
    OAuthCredential.objects.filter(mailbox=mailbox).update(expires_at=timezone.now() - timedelta(seconds=1))
    outcome = checks.run_check(mailbox.pk)
    assert outcome.after == State.DISCONNECTED and outcome.check.error_reason == "token_revoked"
    mailbox.health.refresh_from_db()
    assert mailbox.health.next_check_at is None, "a revoked grant is not retried"
    (message,) = mail.outbox
    # The state's one action: sign in with the provider again, for this mailbox.
    assert f"/connect/sso/google/?mailbox={mailbox.pk}" in message.body and "Reconnect" in message.body
    assert "Reconnect needed" in message.subject
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Reconnect with Google" in page
