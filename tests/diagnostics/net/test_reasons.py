"""One real-server test per finer cause: our probes against servers on 127.0.0.1.

Real servers (aiosmtpd, Dovecot) where they can be made to fail that way; scripted
raw-socket peers (tests/diagnostics/fakes.py) for providers' exact refusals.
"""

import socket
import ssl
import threading

import pytest

from diagnostics.net.credentials import Password
from diagnostics.net.imap_probe import probe_imap
from diagnostics.net.redaction import Redactor
from diagnostics.net.smtp_probe import probe_smtp
from diagnostics.net.steps import StepRecorder
from diagnostics.net.transport import ServerSettings
from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP
from tests.servers.raw import send_then_close, send_then_hang

PW = 'pässwörd "q" \\ x'


def smtp(config, port, security="none", user="user@example.test", password=PW, alt="", host="127.0.0.1"):
    rec = StepRecorder("smtp", lambda s: None, Redactor(password, (user,)))
    error = probe_smtp(
        ServerSettings(host, port, security, user, alt_username=alt), Password(password), config, rec
    )
    return error, rec


def imap(config, port, security="none", user="user@example.test", password=PW, alt="", preferred=""):
    rec = StepRecorder("imap", lambda s: None, Redactor(password, (user,)))
    sent, folders, error = probe_imap(
        ServerSettings("127.0.0.1", port, security, user, alt_username=alt),
        Password(password),
        config,
        rec,
        preferred,
    )
    return error, sent, folders, rec


def reason_of(error):
    assert error is not None, "expected a failure"
    return error.code, error.reason


# --- SSL/TLS --------------------------------------------------------------------------


def test_wrong_mode_ssl_on_a_starttls_port_suggests_starttls(probe_config, smtp_server):
    server = smtp_server(security="starttls", users={"u@example.test": PW})
    error, _ = smtp(probe_config, server.port, "ssl", "u@example.test")
    assert reason_of(error) == ("ssl", "wrong_mode")
    assert error.suggestion["smtp_security"] == "starttls" and "smtp_port" not in error.suggestion
    assert error.suggestion["message"] == f"Port {server.port} expects STARTTLS, not SSL/TLS."


def test_wrong_mode_starttls_on_an_ssl_port_suggests_ssl(probe_config, smtp_server):
    probe_config.timeout = 1
    server = smtp_server(security="ssl", users={"u@example.test": PW})
    error, _ = smtp(probe_config, server.port, "starttls", "u@example.test")
    assert reason_of(error) == ("ssl", "wrong_mode")
    assert error.suggestion["smtp_security"] == "ssl"


def test_wrong_mode_on_imap_ssl_against_the_starttls_port(probe_config, dovecot):
    error, *_ = imap(probe_config, dovecot.port_starttls, "ssl")
    assert reason_of(error) == ("ssl", "wrong_mode")
    assert error.suggestion["imap_security"] == "starttls"


def test_wrong_mode_on_imap_starttls_against_the_ssl_port(probe_config, dovecot):
    probe_config.timeout = 1
    error, *_ = imap(probe_config, dovecot.port_ssl, "starttls")
    assert reason_of(error) == ("ssl", "wrong_mode")
    assert error.suggestion["imap_security"] == "ssl"


def _old_tls_server(pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1

    def handler(conn: socket.socket) -> None:
        try:
            tls = context.wrap_socket(conn, server_side=True)
            tls.sendall(b"220 old ESMTP\r\n")
            tls.recv(100)
        except (OSError, ssl.SSLError):
            pass

    return handler


def test_protocol_too_old(probe_config, pki, raw_server):
    server = raw_server(_old_tls_server(pki))
    error, _ = smtp(probe_config, server.port, "ssl")
    assert reason_of(error) == ("ssl", "protocol_too_old")


def test_starttls_not_offered_by_smtp(probe_config, smtp_server):
    server = smtp_server(security="none", users={"u@example.test": PW}, auth_require_tls=False)
    error, _ = smtp(probe_config, server.port, "starttls", "u@example.test")
    assert reason_of(error) == ("ssl", "starttls_not_offered")
    assert error.step == "starttls"


def test_starttls_not_offered_by_imap(probe_config, raw_server):
    server = raw_server(FakeIMAP(capabilities=b"IMAP4rev1 AUTH=PLAIN"))
    error, *_ = imap(probe_config, server.port, "starttls")
    assert reason_of(error) == ("ssl", "starttls_not_offered")


# --- Authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply,expected",
    [
        (b"535 5.7.8 Username and Password not accepted", ("smtp_auth", "wrong_credentials")),
        (b"534-5.7.9 Application-specific password required.", ("smtp_auth", "app_password_required")),
        (
            b"535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
            ("sso_required", "basic_auth_disabled"),
        ),
        (
            b"534-5.7.14 Please log in via your web browser and then try again.",
            ("smtp_auth", "web_login_required"),
        ),
        (
            b"454 4.7.0 Too many login attempts, please try again later.",
            ("smtp_auth", "too_many_connections"),
        ),
        (b"535 5.7.0 Your account has been disabled", ("smtp_auth", "account_locked")),
        (
            b"538 5.7.11 Encryption required for requested authentication mechanism",
            ("smtp_auth", "privacy_required"),
        ),
        (b"534 5.7.9 Authentication mechanism is too weak", ("smtp_auth", "mechanism_too_weak")),
        (b"454 4.7.0 Temporary authentication failure", ("smtp_auth", "temporary_failure")),
    ],
)
def test_smtp_auth_refusals_are_read_by_status_code_then_wording(probe_config, raw_server, reply, expected):
    if reply[3:4] == b"-":  # a multi-line reply, as Google sends it, ends with a final line
        reply += b"\r\n" + reply[:3] + b" " + reply.split()[0][4:] + b" https://support.example.test/help"
    server = raw_server(FakeSMTP(auth=reply))
    error, rec = smtp(probe_config, server.port)
    assert reason_of(error) == expected
    assert error.server_reply.split()[0] == reply.split(b"-")[0].split()[0].decode()
    assert PW not in rec.transcript.text()


@pytest.mark.parametrize(
    "reply,expected",
    [
        (b"NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)", ("imap_auth", "wrong_credentials")),
        (b"NO [ALERT] Application-specific password required", ("imap_auth", "app_password_required")),
        (
            b"NO [AUTHENTICATIONFAILED] Please use an app password to sign in",
            ("imap_auth", "app_password_required"),
        ),
        (b"NO [ALERT] Your account is not enabled for IMAP use.", ("imap_auth", "imap_disabled")),
        (b"NO [UNAVAILABLE] Too many simultaneous connections", ("imap_auth", "too_many_connections")),
        (b"NO [UNAVAILABLE] Temporary server problem", ("imap_auth", "temporary_failure")),
        (
            b"NO [WEBALERT https://example.test/verify] Web login required",
            ("imap_auth", "web_login_required"),
        ),
        (b"NO [CONTACTADMIN] Login disabled", ("imap_auth", "account_locked")),
        (b"NO [PRIVACYREQUIRED] Connection is not private", ("imap_auth", "privacy_required")),
        (b"NO [EXPIRED] Password expired", ("imap_auth", "password_expired")),
        (b"NO AUTHENTICATE failed: BasicAuthBlocked", ("sso_required", "basic_auth_disabled")),
    ],
)
def test_imap_auth_refusals_are_read_by_response_code_then_wording(probe_config, raw_server, reply, expected):
    server = raw_server(FakeIMAP(login=reply))
    error, _, _, rec = imap(probe_config, server.port)
    assert reason_of(error) == expected
    assert error.step == "login"
    assert PW not in rec.transcript.text()


def test_logindisabled_before_tls_suggests_starttls(probe_config, dovecot):
    name = dovecot.unique_username("plain")
    dovecot.add_user(name, PW, folders=["Sent"])
    error, *_ = imap(probe_config, dovecot.port_logindisabled, "none", name)
    assert reason_of(error) == ("imap_auth", "logindisabled")
    assert error.suggestion["imap_security"] == "starttls"


def test_auth_not_offered(probe_config, smtp_server):
    server = smtp_server(security="starttls", users={"u@example.test": PW}, auth_mechanisms=[])
    error, _ = smtp(probe_config, server.port, "starttls", "u@example.test")
    assert reason_of(error) == ("smtp_auth", "auth_not_offered")


def test_auth_offered_only_after_starttls_suggests_starttls(probe_config, smtp_server):
    server = smtp_server(security="starttls", users={"u@example.test": PW})
    error, _ = smtp(probe_config, server.port, "none", "u@example.test")
    assert reason_of(error) == ("smtp_auth", "auth_not_offered")
    assert error.suggestion["smtp_security"] == "starttls"


def test_imap_username_form_is_tried_once_and_suggested(probe_config, dovecot):
    dovecot.add_user("localpart", PW, folders=["Sent"])
    error, *_ = imap(probe_config, dovecot.port_ssl, "ssl", "localpart@icloud.com", alt="localpart")
    assert reason_of(error) == ("imap_auth", "username_form")
    assert error.suggestion == {"imap_username": "localpart", "message": "Log in to IMAP as localpart."}


def test_smtp_username_form_is_tried_once_and_suggested(probe_config, smtp_server):
    server = smtp_server(security="starttls", users={"full@example.test": PW})
    error, rec = smtp(probe_config, server.port, "starttls", "full", alt="full@example.test")
    assert reason_of(error) == ("smtp_auth", "username_form")
    assert error.suggestion["smtp_username"] == "full@example.test"
    assert sum(1 for line in rec.transcript.lines if line.startswith("C: AUTH")) == 2  # never more


def test_the_other_username_form_is_not_tried_for_other_refusals(probe_config, raw_server):
    fake = FakeIMAP(login=b"NO [UNAVAILABLE] Too many simultaneous connections")
    server = raw_server(fake)
    error, *_ = imap(probe_config, server.port, alt="user")
    assert error.reason == "too_many_connections"
    assert sum(1 for line in fake.received if b"AUTHENTICATE" in line) == 1


# --- Network ----------------------------------------------------------------------------


def test_resolver_failure_is_not_called_a_missing_name(probe_config, dns_server):
    probe_config.timeout = 1
    probe_config.nameservers = [dns_server.nameservers]
    dns_server.hang("slow.example.test")
    error, _ = smtp(probe_config, 587, "starttls", host="slow.example.test")
    assert reason_of(error) == ("host_unreachable", "resolver_failure")


def test_a_name_without_addresses(probe_config, dns_server):
    probe_config.nameservers = [dns_server.nameservers]
    dns_server.add("noaddr.example.test", "TXT", ["v=spf1 -all"])
    error, _ = smtp(probe_config, 587, "starttls", host="noaddr.example.test")
    assert reason_of(error) == ("host_unreachable", "no_address")


def test_a_silent_drop_is_a_connect_timeout_not_a_refusal(probe_config):
    probe_config.timeout = 1
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepted: once the queue is full, new SYNs are dropped
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        error, _ = smtp(probe_config, port, "starttls")
        assert error.code == "timeout" and error.reason in ("connect_timeout", "no_greeting")
        assert error.step in ("connect", "greeting")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.mark.parametrize(
    "greeting,other",
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "http"),
        (b"+OK POP3 server ready\r\n", "pop3"),
        (b"220 mail.example.test ESMTP\r\n", "smtp"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "ssh"),
    ],
)
def test_another_protocol_on_the_imap_port(probe_config, raw_server, greeting, other):
    server = raw_server(send_then_hang(greeting))
    error, *_ = imap(probe_config, server.port)
    assert reason_of(error) == ("imap_no_response", f"wrong_protocol_{other}")


@pytest.mark.parametrize(
    "greeting,other",
    [
        (b"* OK IMAP4rev1 ready\r\n", "imap"),
        (b"+OK POP3 ready\r\n", "pop3"),
        (b"HTTP/1.0 200 OK\r\n", "http"),
    ],
)
def test_another_protocol_on_the_smtp_port(probe_config, raw_server, greeting, other):
    server = raw_server(send_then_hang(greeting))
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == ("smtp_fatal", f"wrong_protocol_{other}")


# --- SMTP fatal -------------------------------------------------------------------------


def test_a_temporary_4xx_greeting(probe_config, raw_server):
    server = raw_server(send_then_close(b"421 4.3.2 Service not available, try later\r\n"))
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == ("smtp_fatal", "greeting_temporary")
    assert error.server_reply.startswith("421")


def test_a_permanent_5xx_greeting(probe_config, raw_server):
    server = raw_server(send_then_close(b"554 5.7.1 Go away\r\n"))
    assert reason_of(smtp(probe_config, server.port)[0]) == ("smtp_fatal", "greeting_rejected")


def test_the_connection_closed_mid_session(probe_config, raw_server):
    server = raw_server(FakeSMTP(replies={b"EHLO": lambda *_: b""}, ehlo=[]))

    def close_after_greeting(conn):
        conn.sendall(b"220 ok\r\n")
        conn.recv(100)
        conn.close()

    server = raw_server(close_after_greeting)
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == ("smtp_fatal", "closed")


def test_a_refused_ehlo(probe_config, raw_server):
    server = raw_server(FakeSMTP(replies={b"EHLO": b"550 5.7.1 You are not welcome\r\n"}))
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == ("smtp_fatal", "ehlo_refused")
    assert error.server_reply.startswith("550")


# --- IMAP no response -------------------------------------------------------------------


def test_no_tagged_reply_after_the_greeting(probe_config, raw_server):
    probe_config.timeout = 1
    server = raw_server(FakeIMAP(replies={b"CAPABILITY": lambda tag, args: None}))
    error, *_ = imap(probe_config, server.port)
    assert reason_of(error) == ("imap_no_response", "no_tagged_reply")
    assert error.step == "capability"


def test_a_bye_greeting(probe_config, raw_server):
    server = raw_server(send_then_close(b"* BYE Too many connections from your IP\r\n"))
    assert reason_of(imap(probe_config, server.port)[0]) == ("imap_no_response", "bye")


def test_a_bad_reply(probe_config, raw_server):
    server = raw_server(FakeIMAP(replies={b"CAPABILITY": b"{tag} BAD Command unrecognized\r\n"}))
    assert reason_of(imap(probe_config, server.port)[0]) == ("imap_no_response", "bad_reply")


def test_a_garbage_reply(probe_config, raw_server):
    server = raw_server(send_then_hang(b"Welcome to my toaster!\r\n"))
    assert reason_of(imap(probe_config, server.port)[0]) == ("imap_no_response", "garbage")


# --- Sent folder ------------------------------------------------------------------------


def test_special_use_list_wins_over_names(probe_config, raw_server):
    fake = FakeIMAP(
        capabilities=b"IMAP4rev1 AUTH=PLAIN SPECIAL-USE",
        folders=[b'(\\HasNoChildren) "/" "Sent Items"', b'(\\HasNoChildren \\Sent) "/" "Outbox archive"'],
    )
    server = raw_server(fake)
    error, sent, *_ = imap(probe_config, server.port)
    assert error is None and sent == "Outbox archive"
    assert any(b"RETURN (SPECIAL-USE)" in line for line in fake.received)


def test_xlist_for_legacy_gmail(probe_config, raw_server):
    fake = FakeIMAP(
        capabilities=b"IMAP4rev1 AUTH=PLAIN XLIST",
        folders=[
            b'(\\HasNoChildren \\Inbox) "/" "Inbox"',
            b'(\\HasNoChildren \\Sent) "/" "[Gmail]/Gesendet"',
        ],
    )
    error, sent, *_ = imap(probe_config, raw_server(fake).port)
    assert error is None and sent == "[Gmail]/Gesendet"
    assert any(line.split()[1:2] == [b"XLIST"] for line in fake.received)


def test_noselect_folders_are_skipped(probe_config, raw_server):
    fake = FakeIMAP(folders=[b'(\\Noselect \\Sent) "/" Sent', b'(\\HasNoChildren) "/" "INBOX/Sent Messages"'])
    error, sent, *_ = imap(probe_config, raw_server(fake).port)
    assert error is None and sent == "INBOX/Sent Messages"


def test_an_honest_list_of_5000_folders_still_finds_sent(probe_config, raw_server):
    folders = [f'(\\HasNoChildren) "." "Project {i:04d}"'.encode() for i in range(5000)]
    fake = FakeIMAP(folders=[*folders, b'(\\HasNoChildren) "." "INBOX.Elementos enviados"'])
    error, sent, listed, _ = imap(probe_config, raw_server(fake).port)
    assert error is None and sent == "INBOX.Elementos enviados"
    assert len(listed) == 5001


@pytest.mark.parametrize(
    "folder",
    [
        "Éléments envoyés",
        "Отправленные",
        "已发送",
        "送信済みアイテム",
        "Wysłane",
        "Odeslaná pošta",
        "Απεσταλμένα",
    ],
)
def test_localized_sent_folders_on_dovecot(probe_config, dovecot, folder):
    name = dovecot.unique_username("intl")
    dovecot.add_user(name, PW, folders=["Drafts", folder])
    error, sent, listed, _ = imap(probe_config, dovecot.port_ssl, "ssl", name)
    assert error is None, error and error.detail
    assert sent == folder and folder in listed


def test_dovecot_special_use_flag_is_read(probe_config, dovecot):
    name = dovecot.unique_username("flag")
    dovecot.add_user(name, PW, folders=["Sent", "Sent Items"])
    error, sent, *_ = imap(probe_config, dovecot.port_ssl, "ssl", name)
    assert error is None and sent == "Sent"


def test_the_users_choice_of_folder_is_kept(probe_config, dovecot):
    name = dovecot.unique_username("choice")
    dovecot.add_user(name, PW, folders=["Sent", "Outbox copies"])
    error, sent, *_ = imap(probe_config, dovecot.port_ssl, "ssl", name, preferred="Outbox copies")
    assert error is None and sent == "Outbox copies"


def test_no_sent_folder_lists_the_folders_to_choose_from(probe_config, dovecot):
    name = dovecot.unique_username("none")
    dovecot.add_user(name, PW, folders=["Drafts", "Ausgang"])
    error, sent, listed, _ = imap(probe_config, dovecot.port_ssl, "ssl", name)
    assert reason_of(error) == ("no_sent_folder", "not_found")
    assert sent is None and "Ausgang" in listed


# --- Passwords and usernames as servers take them -----------------------------------------


def test_non_ascii_quoted_password_over_login_uses_a_literal(probe_config, raw_server):
    fake = FakeIMAP(capabilities=b"IMAP4rev1")
    error, *_ = imap(probe_config, raw_server(fake).port)
    assert error is None
    assert PW.encode() in fake.received  # the literal's exact UTF-8 bytes


def test_ascii_password_with_quotes_and_backslashes_over_login(probe_config, raw_server):
    fake = FakeIMAP(capabilities=b"IMAP4rev1")
    error, *_ = imap(probe_config, raw_server(fake).port, password='a "b" \\c d')
    assert error is None
    assert any(b'"a \\"b\\" \\\\c d"' in line for line in fake.received)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_non_ascii_password_over_smtp_with_either_mechanism(probe_config, smtp_server, mechanism):
    server = smtp_server(security="starttls", users={"u@example.test": PW}, auth_mechanisms=[mechanism])
    error, rec = smtp(probe_config, server.port, "starttls", "u@example.test")
    assert error is None
    assert f"AUTH {mechanism} accepted" in rec.steps[-1].detail


def test_non_ascii_password_over_dovecot(probe_config, dovecot):
    name = dovecot.unique_username("utf")
    dovecot.add_user(name, PW, folders=["Sent"])
    error, sent, *_ = imap(probe_config, dovecot.port_starttls, "starttls", name)
    assert error is None and sent == "Sent"


def test_probes_end_quickly_when_both_servers_misbehave_together(probe_config, raw_server):
    """The runner still returns when the threads fail at once (no deadlock on the step queue)."""
    from diagnostics.net.runner import run_probes

    bad = raw_server(send_then_close(b"554 no\r\n"))
    done = threading.Event()
    result = {}

    def go():
        result["d"] = run_probes(
            ServerSettings("127.0.0.1", bad.port, "none", "u"),
            ServerSettings("127.0.0.1", bad.port, "none", "u"),
            Password(PW),
            probe_config,
        )
        done.set()

    threading.Thread(target=go, daemon=True).start()
    assert done.wait(10)
    assert {e.code for e in result["d"].errors} == {"smtp_fatal", "imap_no_response"}
