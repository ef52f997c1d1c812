"""What every fault test needs: private servers it may stop (never the shared ones), a
mailbox that connects, and the checks that hold after any fault: no 500, no secret in any
page or log, every test in a true final state."""

from django.utils import timezone

from diagnostics.models import ConnectionTest
from tests.leaks import leak_forms

from .servers import PostgresServer, RedisServer, free_port, postgres_binaries, wait_for

__all__ = ["PostgresServer", "RedisServer", "free_port", "postgres_binaries", "wait_for"]

SECRET = "Fault-Pässword/+= 9"
USER_PASSWORD = "correct horse battery"


def connecting_mailbox(make_mailbox, user, smtp_server, dovecot, tag: str):
    """A mailbox whose test ends Connected (a real SMTP server and Dovecot)."""
    name = dovecot.unique_username(tag)
    dovecot.add_user(name, SECRET, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: SECRET})
    return make_mailbox(user, email=name, password=SECRET, smtp_port=smtp.port, imap_port=dovecot.port_ssl)


def final(test_ids: list[int]) -> list[ConnectionTest] | None:
    tests = list(ConnectionTest.objects.filter(pk__in=test_ids))
    return tests if all(t.status in ConnectionTest.FINAL for t in tests) else None


def assert_true_state(test: ConnectionTest) -> None:
    """Final, and saying what happened: Connected, or failed with its reason recorded."""
    test.refresh_from_db()
    assert test.status in ConnectionTest.FINAL, test
    assert test.finished_at is not None and test.finished_at <= timezone.now()
    if test.status == ConnectionTest.Status.FAILED:
        assert test.errors.exists(), f"test {test.pk} failed without saying why"


def assert_clean(texts: list[str], web_log: str = "") -> None:
    """No secret in any page or log, and no 500 in the web process's log."""
    for text in texts:
        for form in leak_forms(SECRET):
            assert form not in text
    assert '" 500' not in web_log and "Internal Server Error" not in web_log, web_log[-3000:]
