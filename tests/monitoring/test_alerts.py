"""Alert emails: a real SMTP sink, the digest, the preferences, the per-person cap."""

import pytest
from django.core import mail

from monitoring import alerts, checks
from monitoring.models import Alert, AlertPreference, State

pytestmark = pytest.mark.django_db(transaction=True)


def _break(servers, mailbox):
    servers.change_password(mailbox.email, "changed-elsewhere")
    return checks.run_check(mailbox.pk)


def test_the_alert_goes_through_a_real_smtp_relay(connected_mailbox, servers, smtp_server, settings):
    sink = smtp_server(security="none", users={})
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "use_tls": False},
        }
    }
    mailbox = connected_mailbox()
    assert _break(servers, mailbox).after == State.DISCONNECTED
    (received,) = sink.messages
    text = received.data.decode()
    assert mailbox.email in text and "What to do" in text
    assert received.rcpt_tos == [mailbox.user.email]


def test_several_failing_mailboxes_make_one_digest_not_a_storm(connected_mailbox, servers, user):
    boxes = [connected_mailbox() for _ in range(4)]
    for box in boxes:
        _break(servers, box)
    # The first two are emailed one by one; from the third on, the digest says it all.
    assert len(mail.outbox) == 2
    assert Alert.objects.filter(skipped="digest").count() == 2
    mail.outbox.clear()
    assert alerts.send_digests() == 1
    (digest,) = mail.outbox
    assert digest.subject == "4 mailboxes need your attention"
    for box in boxes:
        assert box.email in digest.body
    assert alerts.send_digests() == 0, "once a day"


def test_people_who_chose_the_digest_or_nothing_get_no_immediate_email(
    connected_mailbox, servers, user, make_user
):
    AlertPreference.objects.create(user=user, mode="digest")
    _break(servers, connected_mailbox())
    assert not mail.outbox
    quiet = make_user("quiet")
    AlertPreference.objects.create(user=quiet, mode="none")
    _break(servers, connected_mailbox(owner=quiet))
    assert not mail.outbox
    assert alerts.send_digests() == 1 and mail.outbox[0].to == [user.email]


def test_the_per_person_cap_holds_the_rest_for_the_digest(connected_mailbox, servers, user, settings):
    settings.MAIL_HEALTH_ALERTS_PER_DAY = 1
    first, second = connected_mailbox(), connected_mailbox()
    _break(servers, first)
    _break(servers, second)
    assert len(mail.outbox) == 1
    assert Alert.objects.get(mailbox=second).skipped == "cap"
