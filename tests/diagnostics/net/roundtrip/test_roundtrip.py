"""The round trip against a real delivery path: aiosmtpd submission delivering into
Dovecot over LMTP (Sieve files spam into Junk). No Django: the network core alone."""

import threading
import time

import pytest

from diagnostics.net.imap_probe import GuardedIMAP4
from diagnostics.net.roundtrip import (
    AUTOMATIC,
    DELIVERED,
    DELIVERED_TO_SPAM,
    FAILED,
    NEEDS_APPEND,
    NOT_DELIVERED,
)
from tests.diagnostics.net.roundtrip.helpers import fill, snapshot, subjects, trip
from tests.servers.delivery import Variant

AUTH_RESULTS = (
    "Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=example.test; "
    "dkim=pass (2048-bit key) header.d=example.test header.s=rt2026; "
    "dmarc=fail (p=none) header.from=example.test"
)
DKIM_SIGNATURE = "DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=rt2026; h=from:to; bh=abc=; b=def="


def names(steps):
    return [(s.name, s.ok) for s in steps]


def test_it_finds_the_message_in_the_inbox_and_appends_to_sent_when_the_provider_does_not(
    delivery_dovecot, mailbox_on, probe_config
):
    box = mailbox_on(delivery_dovecot, Variant())
    result, steps = trip(box, probe_config)
    assert result.status == DELIVERED, result.errors
    assert result.folder == "INBOX" and result.latency_ms is not None
    assert result.sent_filing == NEEDS_APPEND and result.appended
    assert result.cleaned_up and not result.errors
    assert names(steps) == [
        ("mailbox", True),
        ("send", True),
        ("find", True),
        ("auth_results", True),
        ("sent_filing", True),
        ("cleanup", True),
    ]
    # Nothing is left behind: neither the delivered message nor the copy we appended.
    assert snapshot(box, "INBOX") == {} and snapshot(box, "Sent") == {}
    assert "deleted (UID EXPUNGE)" in steps[-1].detail


def test_it_sees_the_providers_own_sent_copy_gmail_like(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant(sent_copy=True))
    result, steps = trip(box, probe_config)
    assert result.status == DELIVERED
    assert result.sent_filing == AUTOMATIC and not result.appended
    assert result.cleaned_up
    assert snapshot(box, "Sent") == {} and snapshot(box, "INBOX") == {}


def test_a_message_filed_as_spam_is_delivered_to_spam(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant(spam=True))
    result, _ = trip(box, probe_config)
    assert result.status == DELIVERED_TO_SPAM and result.folder == "Junk"
    assert not result.errors and result.cleaned_up
    assert snapshot(box, "Junk") == {}


def test_a_swallowed_message_is_not_delivered_within_the_deadline(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant(swallow=True))
    started = time.monotonic()
    result, steps = trip(box, probe_config, wait=2.0)
    assert time.monotonic() - started < 2.0 + probe_config.deadline
    assert result.status == NOT_DELIVERED
    assert [(p, e.code, e.reason) for p, e in result.errors] == [
        ("delivery", "not_delivered", "not_delivered")
    ]
    assert ("find", False) in names(steps)
    # Sent filing is still learnt, and our APPENDed copy is removed again.
    assert result.sent_filing == NEEDS_APPEND and result.cleaned_up
    assert snapshot(box, "Sent") == {}
    assert len(box.smtp.messages) == 1  # the server did accept it


def test_idle_over_tls_writes_only_from_the_waiting_thread(
    delivery_dovecot, mailbox_on, probe_config, monkeypatch
):
    """OpenSSL forbids two threads on one TLS connection. DONE written by a timer thread
    while the waiting thread read broke the session under load ("bad record mac", shown
    to the person as a failed TLS handshake instead of "not delivered")."""
    writers = set()
    send = GuardedIMAP4.send

    def recording_send(self, data):
        writers.add(threading.get_ident())
        return send(self, data)

    monkeypatch.setattr(GuardedIMAP4, "send", recording_send)
    box = mailbox_on(delivery_dovecot, Variant(swallow=True))
    result, _ = trip(box, probe_config, wait=2.0, imap=box.imap("ssl"))
    assert result.status == NOT_DELIVERED and result.waited_with == "idle", result.errors
    assert writers == {threading.get_ident()}


def test_a_refused_sender_is_sender_rejected(delivery_dovecot, mailbox_on, probe_config):
    refusal = "553 5.7.1 <{a}>: Sender address rejected: not owned by user {a}"
    box = mailbox_on(delivery_dovecot, Variant(refuse_sender="placeholder"))
    box.smtp._handler.variant.refuse_sender = refusal.format(a=box.address)
    result, steps = trip(box, probe_config)
    assert result.status == FAILED
    ((protocol, error),) = result.errors
    assert (protocol, error.code, error.reason) == ("smtp", "smtp_fatal", "sender_rejected")
    assert error.server_reply.startswith("553 5.7.1") and error.step == "send"
    assert ("send", False) in names(steps)
    assert result.cleaned_up and snapshot(box, "INBOX") == {}


def test_it_reads_what_the_receiving_server_wrote(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant(headers=[AUTH_RESULTS, DKIM_SIGNATURE]))
    result, steps = trip(box, probe_config)
    assert result.status == DELIVERED
    assert result.auth_results == {"spf": "pass", "dkim": "pass", "dmarc": "fail"}
    assert result.auth_source == "Authentication-Results"
    assert result.dkim_signatures == [{"domain": "example.test", "selector": "rt2026"}]
    assert "spf=pass dkim=pass dmarc=fail" in dict((s.name, s.detail) for s in steps)["auth_results"]


def test_without_authentication_results_every_verdict_is_none(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant())
    result, _ = trip(box, probe_config)
    assert (
        result.auth_results == {"spf": "none", "dkim": "none", "dmarc": "none"} and result.auth_source == ""
    )


def test_idle_notices_a_late_delivery(delivery_dovecot, mailbox_on, probe_config):
    box = mailbox_on(delivery_dovecot, Variant(delay=1.5))
    result, _ = trip(box, probe_config, wait=10.0)
    assert result.status == DELIVERED and result.waited_with == "idle"
    # The first look happened before delivery (1.5 s after sending) and IDLE, not a
    # poll, noticed it: no wall-clock ceiling, which a loaded machine would break.
    assert result.latency_ms >= 1400


def test_without_idle_it_polls_and_moves_to_trash_without_uidplus(plain_dovecot, mailbox_on, probe_config):
    box = mailbox_on(plain_dovecot, Variant(delay=1.0))
    result, steps = trip(box, probe_config, wait=10.0)
    assert result.status == DELIVERED and result.waited_with == "poll"
    assert result.sent_filing == NEEDS_APPEND
    # No UIDPLUS and no MOVE: copied to Trash and marked deleted, never a plain EXPUNGE.
    assert not result.cleaned_up
    cleanup = dict((s.name, s.detail) for s in steps)["cleanup"]
    assert "copied to Trash" in cleanup
    assert all(r"\Deleted" in flags for flags in snapshot(box, "INBOX").values())
    assert len(snapshot(box, "Trash")) == 2  # the delivered message and our Sent copy


@pytest.mark.parametrize("variant", [Variant(), Variant(sent_copy=True), Variant(spam=True)])
def test_a_full_mailbox_keeps_every_other_message_with_its_uid_and_flags(
    delivery_dovecot, mailbox_on, probe_config, variant
):
    box = mailbox_on(delivery_dovecot, variant)
    for folder in ("INBOX", "Sent", "Junk"):
        fill(box, folder, 200 if folder == "INBOX" else 20)
    before = {folder: snapshot(box, folder) for folder in ("INBOX", "Sent", "Junk", "Trash")}
    assert len(before["INBOX"]) == 200
    assert sum(1 for flags in before["INBOX"].values() if r"\Deleted" in flags) > 50
    result, _ = trip(box, probe_config)
    assert result.status in (DELIVERED, DELIVERED_TO_SPAM) and result.cleaned_up
    after = {folder: snapshot(box, folder) for folder in ("INBOX", "Sent", "Junk", "Trash")}
    assert after == before
    assert not any(s.startswith("Subject: Email Account Center test eac") for s in subjects(box, "INBOX"))
