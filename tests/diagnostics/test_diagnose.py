"""`manage.py diagnose` against real servers on 127.0.0.1: every error code, and success."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.servers.raw import expect, scripted, send_then_close, send_then_hang, silent

ROOT = Path(__file__).resolve().parents[2]
GOOD = "correct-pässword"
# The command reads and fills the shared autodetection cache: a database table by default.
pytestmark = pytest.mark.django_db


def diagnose(monkeypatch, email, password=GOOD, smtp=None, imap=None, *extra):
    """Run the command in-process; return (exit status, parsed JSON)."""
    monkeypatch.setenv("DIAG_PW", password)
    args = [email, "--password-env", "DIAG_PW", "--json", *extra]
    for proto, server in (("smtp", smtp), ("imap", imap)):
        if server is not None:
            host, port, security = server
            args += [f"--{proto}-host", host, f"--{proto}-port", str(port), f"--{proto}-security", security]
    out = io.StringIO()
    try:
        call_command("diagnose", *args, stdout=out)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, json.loads(out.getvalue())


def codes(result):
    return {(e["protocol"], e["code"]) for e in result["errors"]}


@pytest.fixture
def mailbox_user(dovecot):
    """A Dovecot user with a Sent folder and the matching SMTP credentials."""
    name = dovecot.unique_username("diag")
    dovecot.add_user(name, GOOD, folders=["Sent", "Drafts"])
    return name


@pytest.fixture
def good_smtp(smtp_server, mailbox_user):
    return smtp_server(security="starttls", users={mailbox_user: GOOD})


def _smtp(server):
    return (server.host, server.port, server.security)


def test_it_connects_and_names_the_sent_folder(monkeypatch, dovecot, mailbox_user, good_smtp):
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("127.0.0.1", dovecot.port_ssl, "ssl")
    )
    assert status == 0, result["errors"]
    assert result["status"] == "connected" and result["sent_folder"] == "Sent"
    steps = [(s["protocol"], s["name"]) for s in result["steps"] if s["ok"]]
    for name in ("dns", "connect", "greeting", "ehlo", "starttls", "auth"):
        assert ("smtp", name) in steps
    for name in ("dns", "connect", "tls", "greeting", "capability", "login", "list", "sent_folder"):
        assert ("imap", name) in steps
    assert result["settings"]["source"] == "manual"
    assert GOOD not in json.dumps(result)


def test_it_connects_with_implicit_tls_smtp_and_starttls_imap(
    monkeypatch, smtp_server, dovecot, mailbox_user
):
    smtp = smtp_server(security="ssl", users={mailbox_user: GOOD})
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(smtp), ("127.0.0.1", dovecot.port_starttls, "starttls")
    )
    assert status == 0, result["errors"]
    assert result["sent_folder"] == "Sent"


def test_smtp_auth_for_a_wrong_smtp_password(monkeypatch, smtp_server, dovecot, mailbox_user):
    smtp = smtp_server(security="starttls", users={mailbox_user: "something-else"})
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl")
    )
    assert status == 1
    assert codes(result) == {("smtp", "smtp_auth")}
    error = result["errors"][0]
    assert error["server_reply"].startswith("535") and error["help"] and error["title"]


def test_imap_auth_for_a_wrong_imap_password(monkeypatch, dovecot, mailbox_user, smtp_server):
    smtp = smtp_server(security="starttls", users={mailbox_user: "other-pw"})
    status, result = diagnose(
        monkeypatch, mailbox_user, "other-pw", _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl")
    )
    assert status == 1
    assert codes(result) == {("imap", "imap_auth")}
    assert "AUTHENTICATIONFAILED" in result["errors"][0]["server_reply"]


def test_no_sent_folder_for_an_account_without_one(monkeypatch, dovecot, smtp_server):
    name = dovecot.unique_username("nosent")
    dovecot.add_user(name, GOOD, folders=["Drafts", "Archive-2020"])
    smtp = smtp_server(security="starttls", users={name: GOOD})
    status, result = diagnose(monkeypatch, name, GOOD, _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl"))
    assert status == 1
    assert codes(result) == {("imap", "no_sent_folder")}
    assert "Drafts" in result["errors"][0]["detail"]


def test_it_finds_a_localized_sent_folder(monkeypatch, dovecot, smtp_server):
    name = dovecot.unique_username("de")
    dovecot.add_user(name, GOOD, folders=["Entwürfe", "Gesendete Objekte"])
    smtp = smtp_server(security="starttls", users={name: GOOD})
    status, result = diagnose(monkeypatch, name, GOOD, _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl"))
    assert status == 0, result["errors"]
    assert result["sent_folder"] == "Gesendete Objekte"


def test_smtp_fatal_for_a_554_greeting(monkeypatch, raw_server, dovecot, mailbox_user):
    server = raw_server(send_then_close(b"554 5.7.1 No SMTP service here\r\n"))
    status, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", server.port, "none"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert status == 1
    assert codes(result) == {("smtp", "smtp_fatal")}
    assert "554" in result["errors"][0]["server_reply"]


def test_imap_no_response_for_a_garbage_greeting(monkeypatch, raw_server, good_smtp, mailbox_user):
    server = raw_server(send_then_hang(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("127.0.0.1", server.port, "none")
    )
    assert status == 1
    assert codes(result) == {("imap", "imap_no_response")}


def test_imap_no_response_for_a_bye_greeting(monkeypatch, raw_server, good_smtp, mailbox_user):
    server = raw_server(send_then_close(b"* BYE Too many connections, go away\r\n"))
    _, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("127.0.0.1", server.port, "none")
    )
    assert codes(result) == {("imap", "imap_no_response")}


def test_ssl_when_ssl_is_used_on_a_starttls_port(monkeypatch, good_smtp, dovecot, mailbox_user):
    status, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", good_smtp.port, "ssl"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert status == 1
    assert codes(result) == {("smtp", "ssl")}
    assert result["errors"][0]["reason"] == "wrong_mode"


@pytest.mark.parametrize(
    "which,reason",
    [
        ("self_signed_cert_files", "cert_untrusted"),
        ("expired_cert_files", "cert_expired"),
        ("wrong_host_cert_files", "hostname_mismatch"),
    ],
)
def test_ssl_for_bad_certificates(monkeypatch, pki, smtp_server, dovecot, mailbox_user, which, reason):
    smtp = smtp_server(security="ssl", users={mailbox_user: GOOD}, cert_files=getattr(pki, which)())
    _, result = diagnose(monkeypatch, mailbox_user, GOOD, _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl"))
    assert codes(result) == {("smtp", "ssl")}
    assert result["errors"][0]["reason"] == reason


def test_timeout_for_a_server_that_never_speaks(monkeypatch, settings, raw_server, dovecot, mailbox_user):
    settings.MAIL_PROBE_TIMEOUT = 1
    server = raw_server(silent)
    status, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", server.port, "starttls"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert status == 1
    assert codes(result) == {("smtp", "timeout")}
    failed = [s for s in result["steps"] if not s["ok"]]
    assert failed[0]["name"] == "greeting"


def test_connection_refused_for_a_closed_port(monkeypatch, closed_port, good_smtp, mailbox_user):
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("127.0.0.1", closed_port, "ssl")
    )
    assert status == 1
    assert codes(result) == {("imap", "connection_refused")}


def test_host_unreachable_for_a_name_that_does_not_exist(
    monkeypatch, settings, dns_server, good_smtp, mailbox_user
):
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    dns_server.add("mail.example.test", "A", ["127.0.0.1"])
    status, result = diagnose(
        monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("nowhere.example.test", 993, "ssl")
    )
    assert status == 1
    assert codes(result) == {("imap", "host_unreachable")}
    assert result["errors"][0]["reason"] == "nxdomain"


def test_a_name_from_dns_reaches_the_server(
    monkeypatch, settings, dns_server, dovecot, good_smtp, mailbox_user
):
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = ["mail.example.test"]
    dns_server.add("mail.example.test", "A", ["127.0.0.1"])
    status, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("mail.example.test", good_smtp.port, "starttls"),
        ("mail.example.test", dovecot.port_ssl, "ssl"),
    )
    assert status == 0, result["errors"]


def test_unknown_for_an_exchange_that_fits_no_category(monkeypatch, raw_server, dovecot, mailbox_user):
    script = scripted(
        [
            b"220 odd.example.test ESMTP\r\n",
            expect(b"EHLO"),
            b"250-odd.example.test\r\n250 AUTH PLAIN\r\n",
            expect(b"AUTH"),
            b"334 this is not base64 at all!!\r\n",
        ],
        then="hang",
    )
    server = raw_server(script)
    status, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", server.port, "none"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert status == 1
    assert codes(result) == {("smtp", "unknown")}


def test_the_server_reply_is_redacted_when_a_server_echoes_the_password(
    monkeypatch, raw_server, dovecot, mailbox_user
):
    script = scripted(
        [
            b"220 echo.example.test ESMTP\r\n",
            expect(b"EHLO"),
            b"250-echo.example.test\r\n250 AUTH LOGIN\r\n",
            expect(b"AUTH"),
            b"334 UGFzc3dvcmQ6\r\n",
            expect(b""),
            f"535 5.7.8 password {GOOD} is wrong\r\n".encode(),
        ],
        then="hang",
    )
    server = raw_server(script)
    _, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", server.port, "none"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert codes(result) == {("smtp", "smtp_auth")}
    assert GOOD not in json.dumps(result, ensure_ascii=False)
    assert "[redacted]" in result["errors"][0]["server_reply"]


def test_blocked_host_for_an_internal_address(monkeypatch, good_smtp, mailbox_user):
    status, result = diagnose(monkeypatch, mailbox_user, GOOD, _smtp(good_smtp), ("127.0.0.2", 993, "ssl"))
    assert status == 1
    assert codes(result) == {("imap", "blocked_host")}
    assert not [s for s in result["steps"] if s["protocol"] == "imap" and s["name"] == "connect"]


@pytest.mark.parametrize("port", ["70000", "0", "abc"])
def test_invalid_input_for_an_out_of_range_port(monkeypatch, port):
    status, result = diagnose(
        monkeypatch, "a@example.test", GOOD, ("127.0.0.1", port, "ssl"), ("127.0.0.1", 993, "ssl")
    )
    assert status == 1
    assert [e["code"] for e in result["errors"]] == ["invalid_input"]
    assert result["steps"] == []


def test_invalid_input_for_a_malformed_host(monkeypatch):
    status, result = diagnose(
        monkeypatch, "a@example.test", GOOD, ("bad host..", 465, "ssl"), ("x" * 10_000, 993, "ssl")
    )
    assert status == 1 and [e["code"] for e in result["errors"]] == ["invalid_input"]


@pytest.mark.parametrize(
    "email,code,policy",
    [
        ("someone@gmail.com", "sso_required", "sso_required"),
        ("someone@live.fr", "sso_required", "sso_required"),
        ("someone@proton.me", "provider_unsupported", "unsupported"),
    ],
)
def test_policy_results_need_no_network(monkeypatch, email, code, policy):
    status, result = diagnose(monkeypatch, email)
    assert status == 1
    assert [e["code"] for e in result["errors"]] == [code]
    assert result["provider"]["policy"] == policy
    assert result["steps"] == []


def _cli(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "manage.py", "diagnose", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_exit_statuses_and_json(pki, dovecot, mailbox_user, good_smtp):
    env = {"MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1", "SSL_CERT_FILE": pki.ca_file}
    args = [
        mailbox_user,
        "--password-stdin",
        "--smtp-host", "127.0.0.1", "--smtp-port", str(good_smtp.port), "--smtp-security", "starttls",
        "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.port_ssl), "--imap-security", "ssl",
        "--json",
    ]  # fmt: skip
    connected = _cli(*args, env=env, stdin=GOOD + "\n")
    assert connected.returncode == 0, connected.stdout + connected.stderr
    assert json.loads(connected.stdout)["sent_folder"] == "Sent"
    assert GOOD not in connected.stdout + connected.stderr

    failed = _cli("someone@gmail.com", "--json")
    assert failed.returncode == 1 and json.loads(failed.stdout)["errors"][0]["code"] == "sso_required"

    assert _cli("--json").returncode == 2  # no address
    assert _cli("a@example.test", "--smtp-security", "tls").returncode == 2
    assert _cli("a@example.test", "--password-env", "NO_SUCH_VARIABLE_X").returncode == 2


def test_the_deadline_ends_a_test_whose_server_drips(
    monkeypatch, settings, raw_server, dovecot, mailbox_user
):
    from tests.servers.raw import drip

    settings.MAIL_PROBE_TIMEOUT = 2
    settings.MAIL_PROBE_DEADLINE = 3
    server = raw_server(drip(b"220-" + b"x" * 200 + b"\r\n", 0.5))  # a byte every 0.5 s
    started = time.monotonic()
    _, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", server.port, "none"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    assert time.monotonic() - started < 3 + 1
    assert codes(result) == {("smtp", "timeout")}
    assert result["errors"][0]["reason"] == "deadline"


def test_detect_prints_the_provider_and_settings_and_logs_in_nowhere():
    out = io.StringIO()
    call_command("detect", "Someone@iCloud.com", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["provider"]["id"] == "icloud" and result["provider"]["policy"] == "not_recommended"
    assert result["settings"]["imap"] == {
        "host": "imap.mail.me.com",
        "port": 993,
        "security": "ssl",
        "username": "Someone",
    }
    assert result["settings"]["smtp"]["username"] == "Someone@icloud.com"
    assert result["source"] == "directory" and result["email"] == "Someone@icloud.com"


def test_separate_smtp_and_imap_usernames(monkeypatch, smtp_server, dovecot):
    dovecot.add_user("apple", GOOD, folders=["Sent Messages"])
    smtp = smtp_server(security="starttls", users={"apple@example.test": GOOD})
    status, result = diagnose(
        monkeypatch,
        "apple@example.test",
        GOOD,
        _smtp(smtp),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
        "--smtp-username",
        "apple@example.test",
        "--imap-username",
        "apple",
    )
    assert status == 0, result["errors"]
    assert result["settings"]["imap"]["username"] == "apple"
    assert result["settings"]["smtp"]["username"] == "apple@example.test"
    assert result["sent_folder"] == "Sent Messages"


def test_the_json_carries_the_suggestion_and_the_redacted_transcript(
    monkeypatch, good_smtp, dovecot, mailbox_user
):
    _, result = diagnose(
        monkeypatch,
        mailbox_user,
        GOOD,
        ("127.0.0.1", good_smtp.port, "ssl"),
        ("127.0.0.1", dovecot.port_ssl, "ssl"),
    )
    (error,) = result["errors"]
    assert (error["code"], error["reason"]) == ("ssl", "wrong_mode")
    assert error["suggestion"] == {
        "smtp_security": "starttls",
        "message": f"Port {good_smtp.port} expects STARTTLS, not SSL/TLS.",
    }
    assert "AUTHENTICATE PLAIN" in result["transcript"]["imap"]
    assert "[redacted]" in result["transcript"]["imap"]
    assert GOOD not in json.dumps(result, ensure_ascii=False)
