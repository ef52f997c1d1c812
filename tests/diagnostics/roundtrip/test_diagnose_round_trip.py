"""`manage.py diagnose ... --round-trip --json`, each outcome against its own local
delivery path (aiosmtpd submission into Dovecot over LMTP)."""

import io
import json

import pytest
from django.core.management import call_command

from tests.diagnostics.net.roundtrip.fixtures import PASSWORD
from tests.servers.delivery import Variant

pytestmark = pytest.mark.django_db
ROUND_TRIP_KEYS = {"status", "folder", "latency_ms", "sent_filing", "auth_results", "cleaned_up"}


def diagnose(monkeypatch, box, *extra):
    monkeypatch.setenv("RT_PW", PASSWORD)
    args = [box.address, "--password-env", "RT_PW", "--json", "--round-trip", *extra]
    args += ["--smtp-host", "127.0.0.1", "--smtp-port", str(box.smtp.port), "--smtp-security", "starttls"]
    args += ["--imap-host", "127.0.0.1", "--imap-port", str(box.dovecot.port_ssl), "--imap-security", "ssl"]
    out = io.StringIO()
    try:
        call_command("diagnose", *args, stdout=out)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, json.loads(out.getvalue())


@pytest.fixture(autouse=True)
def short_wait(settings):
    settings.MAIL_ROUND_TRIP_DEADLINE = 3.0


@pytest.mark.parametrize(
    ("variant", "exit_status", "status", "folder", "filing"),
    [
        (Variant(), 0, "delivered", "INBOX", "needs_append"),
        (Variant(sent_copy=True), 0, "delivered", "INBOX", "automatic"),
        (Variant(spam=True), 0, "delivered_to_spam", "Junk", "needs_append"),
        (Variant(swallow=True), 1, "not_delivered", None, "needs_append"),
    ],
    ids=["delivered-needs-append", "delivered-automatic", "delivered-to-spam", "not-delivered"],
)
def test_round_trip_outcomes(
    monkeypatch, delivery_dovecot, mailbox_on, variant, exit_status, status, folder, filing
):
    box = mailbox_on(delivery_dovecot, variant)
    code, result = diagnose(monkeypatch, box)
    assert code == exit_status, result["errors"]
    # The logins' verdict is said apart: the mailbox page's Connected, whatever the delivery.
    assert result["verdict"] == "connected"
    assert result["status"] == ("failed" if status == "not_delivered" else "connected")
    trip = result["round_trip"]
    assert set(trip) == ROUND_TRIP_KEYS
    assert (trip["status"], trip["folder"], trip["sent_filing"], trip["cleaned_up"]) == (
        status,
        folder,
        filing,
        True,
    )
    assert set(trip["auth_results"]) == {"spf", "dkim", "dmarc"}
    assert (trip["latency_ms"] is None) == (status == "not_delivered")
    assert "IDLE" in result["capabilities"]["imap"]
    assert any(feature.startswith("AUTH") for feature in result["capabilities"]["smtp"])
    assert set(result["domain"]) == {"spf", "dmarc", "dkim", "mx"}
    codes = [(e["code"], e["reason"]) for e in result["errors"]]
    assert codes == ([("not_delivered", "not_delivered")] if status == "not_delivered" else [])
    assert ("delivery", "cleanup") in {(s["protocol"], s["name"]) for s in result["steps"]}
    assert PASSWORD not in json.dumps(result)


def test_a_refused_sender_is_reported_in_errors(monkeypatch, delivery_dovecot, mailbox_on):
    box = mailbox_on(
        delivery_dovecot, Variant(refuse_sender="550 5.7.60 SMTP; Client does not have permissions")
    )
    code, result = diagnose(monkeypatch, box)
    assert code == 1
    assert result["round_trip"]["status"] == "failed"
    assert [(e["code"], e["reason"], e["protocol"]) for e in result["errors"]] == [
        ("smtp_fatal", "sender_rejected", "smtp")
    ]
    assert result["errors"][0]["server_reply"].startswith("550 5.7.60")


def test_a_failed_login_skips_the_round_trip(monkeypatch, delivery_dovecot, mailbox_on):
    box = mailbox_on(delivery_dovecot, Variant())
    box.smtp.users[box.address] = "another password"
    code, result = diagnose(monkeypatch, box)
    assert code == 1
    assert result["round_trip"]["status"] == "skipped"
    assert [e["code"] for e in result["errors"]] == ["smtp_auth"]
    assert len(box.smtp.messages) == 0


def test_the_domain_checks_use_dns_nameservers(
    monkeypatch, settings, delivery_dovecot, mailbox_on, dns_server
):
    dns_server.add("example.test", "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add("example.test", "MX", [(10, "mx.example.test")])
    dns_server.add("_dmarc.example.test", "TXT", "v=DMARC1; p=reject")
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    box = mailbox_on(delivery_dovecot, Variant())
    code, result = diagnose(monkeypatch, box)
    assert code == 0
    statuses = {name: item["status"] for name, item in result["domain"].items()}
    assert statuses == {"spf": "ok", "dmarc": "ok", "dkim": "unknown", "mx": "ok"}
    assert result["domain"]["dmarc"]["policy"] == "reject"


def test_without_the_flag_the_json_is_unchanged(monkeypatch, delivery_dovecot, mailbox_on):
    box = mailbox_on(delivery_dovecot, Variant())
    monkeypatch.setenv("RT_PW", PASSWORD)
    out = io.StringIO()
    call_command(
        "diagnose", box.address, "--password-env", "RT_PW", "--json",
        "--smtp-host", "127.0.0.1", "--smtp-port", str(box.smtp.port), "--smtp-security", "starttls",
        "--imap-host", "127.0.0.1", "--imap-port", str(box.dovecot.port_ssl), "--imap-security", "ssl",
        stdout=out,
    )  # fmt: skip
    result = json.loads(out.getvalue())
    assert "round_trip" not in result and "domain" not in result
    assert len(box.smtp.messages) == 0
