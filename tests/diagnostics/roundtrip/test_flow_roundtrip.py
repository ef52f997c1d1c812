"""The round trip inside a connection test (the worker's procedure, run in-process), what
it stores, and the mailbox page's capability panel and forms."""

import pytest
from django.urls import reverse

from diagnostics.flows import execute_test, start_test
from diagnostics.models import ConnectionTest, MailboxVerification
from tests.diagnostics.net.roundtrip.fixtures import PASSWORD
from tests.servers.delivery import Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_trip_on(settings):
    settings.MAIL_ROUND_TRIP_ON_FIRST_TEST = True
    settings.MAIL_ROUND_TRIP_DEADLINE = 4.0
    settings.TRACKING_CNAME_TARGET = "t.emailcenter.example"
    return settings


def _mailbox(make_mailbox, owner, box):
    return make_mailbox(
        owner,
        email=box.address,
        password=PASSWORD,
        smtp_port=box.smtp.port,
        smtp_security="starttls",
        imap_port=box.dovecot.port_ssl,
        imap_security="ssl",
    )


def _run(mailbox, **kwargs) -> ConnectionTest:
    test = start_test(mailbox, **kwargs)
    execute_test(test.pk)
    test.refresh_from_db()
    return test


def test_a_first_test_runs_the_round_trip_and_stores_everything(
    round_trip_on, user, make_mailbox, delivery_dovecot, mailbox_on
):
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    test = _run(mailbox)
    assert test.round_trip_requested and test.status == "connected", list(test.errors.values())
    assert test.round_trip["status"] == "delivered" and test.round_trip["cleaned_up"]
    assert test.delivery_status == "delivered" and test.checks_until is None
    assert test.round_trip["wait_seconds"] == 4.0  # the wait this phase applied, for the page
    verification = MailboxVerification.objects.get(mailbox=mailbox)
    assert (verification.delivery_status, verification.delivery_test_id) == ("delivered", test.pk)
    assert test.round_trip["sent_filing"] == "needs_append"
    assert "IDLE" in test.capabilities["imap"] and test.capabilities["inbox"]["readable"]
    assert any(f.startswith("AUTH") for f in test.capabilities["smtp"])
    assert set(test.domain_checks) == {"spf", "dmarc", "dkim", "mx"}  # reserved name: all unknown
    names = [s.name for s in test.steps.filter(protocol="delivery")]
    assert names == ["mailbox", "send", "find", "auth_results", "sent_filing", "cleanup"]
    assert "=== DELIVERY ===" in test.transcript and PASSWORD not in test.transcript
    # The sending side reads this.
    assert MailboxVerification.objects.get(mailbox=mailbox).sent_filing == "needs_append"
    # The next test (not asked for) records capabilities without sending anything.
    again = _run(mailbox)
    assert not again.round_trip_requested and again.round_trip is None and again.capabilities["imap"]
    assert len(box.smtp.messages) == 1


def test_a_gmail_like_provider_is_recorded_as_automatic(
    round_trip_on, user, make_mailbox, delivery_dovecot, mailbox_on
):
    box = mailbox_on(delivery_dovecot, Variant(sent_copy=True))
    mailbox = _mailbox(make_mailbox, user, box)
    assert _run(mailbox).round_trip["sent_filing"] == "automatic"
    assert MailboxVerification.objects.get(mailbox=mailbox).sent_filing == "automatic"


def test_not_delivered_is_a_warning_beside_connected_written_after_the_verdict(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on
):
    round_trip_on.MAIL_ROUND_TRIP_DEADLINE = 2.0
    box = mailbox_on(delivery_dovecot, Variant(swallow=True))
    mailbox = _mailbox(make_mailbox, user, box)
    test = _run(mailbox)
    # The logins decide the verdict; the round trip's outcome sits beside it.
    assert test.status == "connected" and test.delivery_status == "not_delivered"
    assert [(e.code, e.reason, e.protocol) for e in test.errors.all()] == [
        ("not_delivered", "not_delivered", "delivery")
    ]
    # The verdict was stamped before the round trip waited out its deadline.
    assert (test.delivery_finished_at - test.finished_at).total_seconds() >= 2.0
    mailbox.refresh_from_db()
    assert mailbox.status == "connected"
    assert MailboxVerification.objects.get(mailbox=mailbox).delivery_status == "not_delivered"
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'data-trip="not_delivered"' in page and "Not delivered after 2 s." in page
    assert 'data-delivery-warning="not_delivered"' in page and "Testing…" not in page


def test_a_refused_sender_is_a_delivery_failure_with_sender_rejected(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on
):
    box = mailbox_on(
        delivery_dovecot, Variant(refuse_sender="553 5.7.1 Sender address rejected: not owned by user")
    )
    mailbox = _mailbox(make_mailbox, user, box)
    test = _run(mailbox)
    error = test.errors.get()
    assert (error.code, error.reason, error.protocol) == ("smtp_fatal", "sender_rejected", "smtp")
    assert "send as" in " ".join(error.help).lower()
    assert (test.status, test.delivery_status) == ("connected", "failed")
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'data-delivery-warning="failed"' in page and "Sender address rejected" in page


def test_the_round_trip_is_opt_in_on_the_retest_form(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on
):
    round_trip_on.MAIL_ROUND_TRIP_ON_FIRST_TEST = False
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    assert not mailbox.latest_test().round_trip_requested
    ConnectionTest.objects.filter(mailbox=mailbox).update(status="connected")
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]), {"round_trip": "1"})
    test = mailbox.latest_test()
    assert test.round_trip_requested
    # The verdict's deadline is the logins' own: the round trip has its own after it.
    assert (test.deadline_at - test.created_at).total_seconds() <= round_trip_on.MAIL_PROBE_DEADLINE * 2 + 30


def test_the_panel_shows_what_the_round_trip_found(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on, dns_server, probe_config
):
    domain = "example.test"
    dns_server.add(domain, "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=quarantine")
    round_trip_on.DNS_NAMESERVERS = [dns_server.nameservers]
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    _run(mailbox)
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'data-trip="delivered"' in page
    assert "Delivered to the inbox in " in page
    assert "we file one in Sent" in page and "(tested: it works)" in page  # under Technical details
    assert "Notices replies within seconds." in page
    assert "1 suggestion for better delivery" in page  # MX missing; DKIM unknown is no suggestion
    assert 'data-check="spf" data-status="ok"' in page
    assert 'data-check="dmarc" data-status="ok"' in page and "p=quarantine" in page
    assert 'data-check="mx" data-status="missing"' in page
    assert 'name="round_trip"' in page and 'name="tracking_domain"' in page
    # The live refresh renders the same panel.
    status = client_a.get(reverse("mailbox_status", args=[mailbox.pk])).content.decode()
    assert 'data-trip="delivered"' in status


def test_the_tracking_form_keeps_bad_input_and_checks_a_good_one(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on, dns_server
):
    round_trip_on.DNS_NAMESERVERS = [dns_server.nameservers]
    round_trip_on.MAIL_ROUND_TRIP_ON_FIRST_TEST = False
    dns_server.add("track.example.test", "CNAME", "elsewhere.example.net")
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    first = _run(mailbox)
    url = reverse("mailbox_tracking", args=[mailbox.pk])
    bad = client_a.post(url, {"tracking_domain": "not a host!"})
    assert bad.status_code == 400
    assert 'value="not a host!"' in bad.content.decode() and 'id="tracking-error"' in bad.content.decode()
    assert mailbox.latest_test() == first
    client_a.post(url, {"tracking_domain": "https://Track.example.test/"})
    assert MailboxVerification.objects.get(mailbox=mailbox).tracking_domain == "track.example.test"
    test = mailbox.latest_test()
    execute_test(test.pk)
    test.refresh_from_db()
    assert test.tracking_check["status"] == "wrong"
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "points at elsewhere.example.net" in page and "t.emailcenter.example." in page


def test_another_users_mailbox_is_404(client_a, other_user, make_mailbox):
    theirs = make_mailbox(other_user, email="theirs@example.test")
    assert (
        client_a.post(
            reverse("mailbox_tracking", args=[theirs.pk]), {"tracking_domain": "t.x.test"}
        ).status_code
        == 404
    )
    assert client_a.post(reverse("mailbox_retest", args=[theirs.pk]), {"round_trip": "1"}).status_code == 404
    assert not MailboxVerification.objects.filter(mailbox=theirs).exists()


def test_scheduled_and_later_tests_never_send(round_trip_on, user, make_mailbox):
    mailbox = make_mailbox(user)
    ConnectionTest.objects.create(mailbox=mailbox, status="connected")
    assert not start_test(mailbox).round_trip_requested


def test_a_connected_page_after_a_wrong_password_shows_nothing_of_the_older_test(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on
):
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    mailbox.set_password("not the password")
    mailbox.save()
    refused = _run(mailbox)
    assert refused.status == "failed" and refused.delivery_status == "skipped"
    mailbox.set_password(PASSWORD)
    mailbox.save()
    fixed = _run(mailbox)  # a retest: no round trip asked for
    assert fixed.status == "connected" and fixed.delivery_status == ""
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'id="delivery"' not in page
    assert "Not run" not in page and "needs a successful login" not in page
    assert "A test message may be left" not in page and "Testing…" not in page
    assert len(box.smtp.messages) == 0


def test_an_older_tests_delivery_is_named_as_that_tests(
    round_trip_on, client_a, user, make_mailbox, delivery_dovecot, mailbox_on
):
    box = mailbox_on(delivery_dovecot, Variant())
    mailbox = _mailbox(make_mailbox, user, box)
    first = _run(mailbox)
    _run(mailbox)
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'data-trip="delivered"' in page
    assert f"from the test of {first.created_at:%-d %b %Y}" in page


def test_a_delivery_check_that_outlives_its_deadline_is_reaped_as_failed(user, make_mailbox):
    from datetime import timedelta

    from django.utils import timezone

    from diagnostics.flows import reap_stuck_tests

    mailbox = make_mailbox(user)
    test = ConnectionTest.objects.create(
        mailbox=mailbox,
        status="connected",
        round_trip_requested=True,
        delivery_status="checking",
        round_trip={"status": "checking", "wait_seconds": 60},
        checks_until=timezone.now() - timedelta(seconds=1),
    )
    in_time = ConnectionTest.objects.create(
        mailbox=make_mailbox(user, email="other@example.test"),
        status="connected",
        delivery_status="checking",
        checks_until=timezone.now() + timedelta(minutes=1),
    )
    assert test.effective_delivery == "failed" and in_time.effective_delivery == "checking"
    assert reap_stuck_tests() == 1
    test.refresh_from_db()
    assert (test.status, test.delivery_status, test.checks_until) == ("connected", "failed", None)
    verification = MailboxVerification.objects.get(mailbox=mailbox)
    assert (verification.delivery_status, verification.delivery_test_id) == ("failed", test.pk)
    in_time.refresh_from_db()
    assert in_time.delivery_status == "checking"
