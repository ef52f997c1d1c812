"""Health checks against real loopback servers (aiosmtpd, Dovecot, raw relays)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from diagnostics.net.errors import is_transient
from monitoring import checks, schedule
from monitoring.models import Alert, Check, Health, State

pytestmark = pytest.mark.django_db(transaction=True)


def _check(mailbox):
    outcome = checks.run_check(mailbox.pk)
    mailbox.health.refresh_from_db()
    return outcome


def test_it_keeps_a_working_mailbox_connected_and_records_the_check(connected_mailbox):
    mailbox = connected_mailbox()
    outcome = _check(mailbox)
    assert (outcome.before, outcome.after) == ("connected", "connected")
    check = Check.objects.get(mailbox=mailbox)
    assert check.ok and check.test.status == "connected" and check.ms > 0
    assert mailbox.health.next_check_at > timezone.now() and mailbox.health.claimed_at is None
    assert not mail.outbox


def test_it_disconnects_after_one_check_when_the_password_changed_and_emails_once(
    connected_mailbox, servers, settings
):
    settings.SITE_URL = "https://eac.example"
    mailbox = connected_mailbox()
    servers.change_password(mailbox.email, "changed-elsewhere")
    outcome = _check(mailbox)
    assert outcome.after == State.DISCONNECTED
    health = mailbox.health
    assert health.error_code in ("smtp_auth", "imap_auth") and health.error_reason == "wrong_credentials"
    assert health.next_check_at is None, "a refused password is never retried on a schedule"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [mailbox.user.email] and mailbox.email in message.subject
    assert "authentication" in message.body.lower()
    assert "535" in message.body or "AUTHENTICATIONFAILED" in message.body  # the server's reply
    # The state's one action: type the password again, on the mailbox page.
    assert f"Type the password again: https://eac.example/mailboxes/{mailbox.pk}/#result" in message.body
    assert "health-Secret" not in message.body and "changed-elsewhere" not in message.body
    # Not picked up again by the scheduler: no retry loop on a wrong password.
    assert mailbox.pk not in [h.pk for h in schedule.due(timezone.now() + timedelta(days=1))]
    assert Alert.objects.filter(user=mailbox.user, kind="down").count() == 1


def test_a_server_that_times_out_twice_then_answers_is_degraded_then_connected_without_email(
    connected_mailbox, servers, flaky
):
    relay = flaky(servers.imap_port, failures=2)
    mailbox = connected_mailbox(imap_port=relay.port)
    states = []
    for _ in range(3):
        before = timezone.now()
        outcome = _check(mailbox)
        states.append(outcome.after)
        if outcome.after == State.DEGRADED:
            wait = mailbox.health.next_check_at - before
            states.append(round(wait.total_seconds() / 60))
    assert states == [State.DEGRADED, 1, State.DEGRADED, 5, State.CONNECTED]
    first = Check.objects.filter(mailbox=mailbox).order_by("created_at").first()
    assert first.transient and first.error_code == "timeout"
    assert not mail.outbox and not Alert.objects.exists()


def test_transient_failures_past_the_backoff_disconnect_and_recovery_emails_once(
    connected_mailbox, servers, flaky, settings
):
    settings.MAIL_HEALTH_BACKOFF_MINUTES = [1]
    relay = flaky(servers.imap_port, failures=2)
    mailbox = connected_mailbox(imap_port=relay.port)
    assert _check(mailbox).after == State.DEGRADED
    assert _check(mailbox).after == State.DISCONNECTED
    assert mailbox.health.next_check_at is not None, "an outage is still looked at, once per interval"
    assert [m.subject for m in mail.outbox] == [f"{mailbox.email}: Disconnected, Timeout error (IMAP)"]
    assert _check(mailbox).after == State.CONNECTED
    assert len(mail.outbox) == 2 and mail.outbox[1].subject == f"{mailbox.email} is working again"
    assert _check(mailbox).after == State.CONNECTED
    assert len(mail.outbox) == 2, "one email per change of state"


def test_the_catalogue_decides_transient_or_permanent():
    assert is_transient("timeout", "connect_timeout")
    assert is_transient("connection_refused", "refused")
    assert is_transient("imap_auth", "temporary_failure", "[UNAVAILABLE] try later")
    assert is_transient("imap_auth", "too_many_connections")
    assert is_transient("smtp_fatal", "error_reply", "421 4.3.2 service not available")
    assert not is_transient("smtp_auth", "wrong_credentials", "535 5.7.8 bad")
    assert not is_transient("smtp_auth", "password_expired", "454 4.7.12 password expired")
    assert not is_transient("imap_auth", "token_revoked")
    assert not is_transient("imap_auth", "imap_disabled")


def test_a_check_never_stacks_on_one_under_way(connected_mailbox):
    mailbox = connected_mailbox()
    token = schedule.claim(mailbox.pk)
    assert token and schedule.claim(mailbox.pk) is None, "a second claim while the first runs"
    Health.objects.filter(pk=mailbox.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert mailbox.pk not in set(schedule.due(timezone.now()).values_list("pk", flat=True))
    outcome = checks.run_check(mailbox.pk, token)
    assert outcome.check is not None, "the first delivery runs"
    assert checks.run_check(mailbox.pk, token) is None, "a second delivery of the same task runs nothing"
    assert Check.objects.filter(mailbox=mailbox).count() == 1


def test_paused_mailboxes_are_not_checked(connected_mailbox, user):
    mailbox = connected_mailbox()
    checks.set_paused(mailbox.health, True, by=user)
    outcome = _check(mailbox)
    assert outcome.skipped == "paused" and not Check.objects.exists()
    checks.set_paused(mailbox.health, False)
    assert mailbox.health.state == State.CONNECTED and mailbox.health.next_check_at <= timezone.now()
