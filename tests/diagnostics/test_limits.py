"""Rate limits, the pause after repeated wrong passwords, and the stuck-test reaper."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import limits
from diagnostics import flows
from diagnostics.models import ConnectionTest

pytestmark = pytest.mark.django_db


def _settle(test):
    """Finish a queued test so the next start is not folded into it."""
    ConnectionTest.objects.filter(pk=test.pk).update(status="failed")


def test_it_limits_tests_per_login(settings, user, make_mailbox):
    settings.MAIL_TEST_RATE_PER_LOGIN = 2
    mailbox = make_mailbox(user, email="limited@example.test")
    for _ in range(2):
        test = flows.start_test(mailbox)
        assert test.status == "queued"
        _settle(test)
    refused = flows.start_test(mailbox)
    error = refused.errors.get()
    assert refused.status == "failed" and (error.code, error.reason) == ("rate_limited", "rate_limited")
    assert "Try again after" in error.detail


def test_it_limits_tests_per_user_across_mailboxes(settings, user, make_mailbox):
    settings.MAIL_TEST_RATE_PER_USER = 3
    for i in range(3):
        _settle(flows.start_test(make_mailbox(user, email=f"m{i}@example.test")))
    refused = flows.start_test(make_mailbox(user, email="m9@example.test"))
    assert refused.errors.get().code == "rate_limited"


def test_it_limits_tests_per_target_host_across_users(settings, make_user, make_mailbox):
    settings.MAIL_TEST_RATE_PER_HOST = 2
    for name in ("h1", "h2"):
        _settle(flows.start_test(make_mailbox(make_user(name), smtp_host="busy.example.test")))
    refused = flows.start_test(make_mailbox(make_user("h3"), smtp_host="busy.example.test"))
    assert refused.errors.get().code == "rate_limited"


def test_it_pauses_after_repeated_wrong_passwords_and_a_good_login_clears_it(settings, user, make_mailbox):
    settings.MAIL_AUTH_FAILURE_LIMIT = 3
    mailbox = make_mailbox(user, email="locked@example.test", imap_host="imap.locked.example.test")
    pair = ("imap.locked.example.test", "locked@example.test")
    for _ in range(3):
        limits.record_auth_result({pair}, set())
    refused = flows.start_test(mailbox)
    error = refused.errors.get()
    assert (error.code, error.reason) == ("rate_limited", "auth_paused")
    assert "tests are paused" in error.detail and "Try again after" in error.detail
    limits.record_auth_result(set(), {pair})
    assert flows.start_test(mailbox).status == "queued"


def test_three_real_wrong_passwords_pause_the_fourth(settings, user, make_mailbox, dovecot, smtp_server):
    settings.MAIL_AUTH_FAILURE_LIMIT = 3
    name = dovecot.unique_username("brute")
    dovecot.add_user(name, "the-right-one", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: "the-right-one"})
    mailbox = make_mailbox(
        user, email=name, password="guess-0", smtp_port=smtp.port, imap_port=dovecot.port_ssl
    )
    for n in range(3):  # distinct passwords: the same one twice is never sent again
        mailbox.set_password(f"guess-{n}")
        mailbox.save()
        test = flows.start_test(mailbox)
        flows.execute_test(test.pk)
        assert {e.code for e in test.errors.all()} == {"smtp_auth", "imap_auth"}
    mailbox.set_password("guess-3")
    mailbox.save()
    paused = flows.start_test(mailbox)
    assert paused.errors.get().reason == "auth_paused"
    assert not paused.steps.exists()  # no server was contacted
    assert len(smtp.auth_attempts) == 3


def test_a_queued_test_is_refused_in_the_worker_once_a_pause_applies(
    settings, user, make_mailbox, closed_port
):
    settings.MAIL_AUTH_FAILURE_LIMIT = 3
    mailbox = make_mailbox(user, email="q@example.test", smtp_port=closed_port, imap_port=closed_port)
    test = flows.start_test(mailbox)
    for _ in range(3):
        limits.record_auth_result({("127.0.0.1", "q@example.test")}, set())
    flows.execute_test(test.pk)
    test.refresh_from_db()
    assert test.status == "failed" and test.errors.get().reason == "auth_paused"
    assert not test.steps.exists()


def test_the_reaper_fails_tests_past_their_deadline_and_leaves_others(user, make_mailbox):
    stuck = flows.start_test(make_mailbox(user, email="stuck@example.test"))
    fresh = flows.start_test(make_mailbox(user, email="fresh@example.test"))
    ConnectionTest.objects.filter(pk=stuck.pk).update(
        status="running", deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert flows.reap_stuck_tests() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "failed" and stuck.errors.get().reason == "stuck"
    assert stuck.mailbox.status == "failed" and fresh.status == "queued"


def test_double_clicks_start_one_test(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    for _ in range(5):
        client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    assert mailbox.tests.count() == 1


def test_a_test_no_worker_picks_up_says_so(client_a, user, make_mailbox):
    mailbox = make_mailbox(user)
    test = flows.start_test(mailbox)
    page = client_a.get(reverse("mailbox_status", args=[mailbox.pk])).content.decode()
    assert "No test worker has picked this up yet" not in page
    ConnectionTest.objects.filter(pk=test.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    page = client_a.get(reverse("mailbox_status", args=[mailbox.pk])).content.decode()
    assert "No test worker has picked this up yet" in page
    detail = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert f"topics=test-{test.pk}" in detail  # the page still waits for the test, by push
