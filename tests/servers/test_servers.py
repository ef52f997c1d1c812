"""Smoke tests of the test-server toolkit, using standard-library clients only."""

from __future__ import annotations

import base64
import imaplib
import re
import smtplib
import socket
import ssl
import time

import pytest

from tests.servers.raw import (
    drip,
    expect,
    flood,
    scripted,
    send_then_close,
    send_then_hang,
    silent,
)

CLIENT_NAME = "client.example.test"  # smtplib would otherwise call socket.getfqdn()
ALICE, ALICE_PW = "alice@example.test", "secret"
HARD_PASSWORD = 'Pä ss "quoted" \\back: 已发送 ✓'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def smtp_connect(server, pki) -> smtplib.SMTP:
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(
            server.host, server.port, local_hostname=CLIENT_NAME, context=pki.client_context(), timeout=5
        )
    else:
        client = smtplib.SMTP(server.host, server.port, local_hostname=CLIENT_NAME, timeout=5)
    client.ehlo()
    if server.security == "starttls":
        client.starttls(context=pki.client_context())  # verifies the 127.0.0.1 IP SAN
        client.ehlo()
    return client


def decode_mutf7(name: str) -> str:
    """IMAP modified UTF-7 (RFC 3501 5.1.3) -> str."""

    def decode(match: re.Match) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        raw = chunk.replace(",", "/")
        return base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", decode, name)


def list_folders(client: imaplib.IMAP4) -> dict[str, set[str]]:
    typ, lines = client.list()
    assert typ == "OK"
    folders = {}
    for line in lines:
        match = re.match(r'\((?P<flags>[^)]*)\) "[^"]*" (?P<name>.*)', line.decode("ascii"))
        folders[decode_mutf7(match["name"].strip('"'))] = set(match["flags"].split())
    return folders


# -- SMTP -----------------------------------------------------------------


@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
def test_it_logs_in_and_receives_mail_in_every_security_mode(smtp_server, pki, security):
    server = smtp_server(security=security)
    with smtp_connect(server, pki) as client:
        client.login(ALICE, ALICE_PW)
        client.sendmail(ALICE, ["bob@example.test"], b"Subject: hi\r\n\r\nbody\r\n")
    [message] = server.messages
    assert (message.mail_from, message.rcpt_tos, message.login) == (ALICE, ["bob@example.test"], ALICE)
    assert b"Subject: hi" in message.data


def test_it_rejects_a_wrong_smtp_password_with_535(smtp_server, pki):
    server = smtp_server()
    with smtp_connect(server, pki) as client, pytest.raises(smtplib.SMTPAuthenticationError) as error:
        client.login(ALICE, "wrong")
    assert error.value.smtp_code == 535


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_it_accepts_utf8_smtp_passwords(smtp_server, pki, mechanism):
    # smtplib.login() encodes credentials as ASCII, so speak SASL by hand.
    server = smtp_server(users={"jörg@example.test": HARD_PASSWORD})
    user, password = "jörg@example.test".encode(), HARD_PASSWORD.encode()
    with smtp_connect(server, pki) as client:
        if mechanism == "PLAIN":
            code, _ = client.docmd("AUTH", "PLAIN " + b64(b"\0" + user + b"\0" + password))
        else:
            code, challenge = client.docmd("AUTH", "LOGIN " + b64(user))
            assert (code, base64.b64decode(challenge)) == (334, b"Password:")
            code, _ = client.docmd(b64(password))
    assert code == 235
    assert server.auth_attempts[-1].success


def test_it_offers_auth_only_after_starttls(smtp_server):
    server = smtp_server(security="starttls")
    with smtplib.SMTP(server.host, server.port, local_hostname=CLIENT_NAME, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN " + b64(b"\0alice@example.test\0secret"))[0] == 538


def test_it_can_advertise_a_single_mechanism_or_none(smtp_server, pki):
    login_only = smtp_server(security="none", auth_mechanisms=["LOGIN"])
    without_auth = smtp_server(security="none", auth_mechanisms=[])
    with smtp_connect(login_only, pki) as client:
        assert client.esmtp_features["auth"].split() == ["LOGIN"]
    with smtp_connect(without_auth, pki) as client:
        assert not client.has_extn("auth")


def test_it_sends_a_custom_greeting_and_hangs_up_on_refusal(smtp_server):
    server = smtp_server(greeting="554 5.3.2 no service here")
    with pytest.raises(smtplib.SMTPConnectError) as error:
        smtplib.SMTP(server.host, server.port, local_hostname=CLIENT_NAME, timeout=5)
    assert error.value.smtp_code == 554


@pytest.mark.parametrize(
    ("cert", "reason"),
    [
        ("expired_cert_files", "certificate has expired"),
        ("wrong_host_cert_files", "mismatch"),
        ("self_signed_cert_files", "unable to get local issuer certificate"),
    ],
)
def test_it_serves_broken_certificates_that_fail_verification(smtp_server, pki, cert, reason):
    server = smtp_server(security="ssl", cert_files=getattr(pki, cert)())
    with pytest.raises(ssl.SSLCertVerificationError, match=reason):
        smtplib.SMTP_SSL(server.host, server.port, local_hostname=CLIENT_NAME, context=pki.client_context())


def test_it_starts_and_stops_fast_even_with_a_client_stuck_in_the_handshake(pki):
    from tests.servers.smtp import start_smtp

    began = time.monotonic()
    server = start_smtp(pki, security="ssl")
    stuck = socket.create_connection((server.host, server.port))  # never starts TLS
    time.sleep(0.05)
    server.stop()
    stuck.close()
    assert time.monotonic() - began < 1


# -- Dovecot --------------------------------------------------------------


def test_it_logs_in_to_dovecot_over_starttls_and_implicit_tls(dovecot, pki):
    user = dovecot.add_user(dovecot.unique_username(), "pw")
    plain = imaplib.IMAP4(dovecot.host, dovecot.port_starttls, timeout=5)
    assert "STARTTLS" in plain.capabilities and "LOGINDISABLED" not in plain.capabilities
    plain.starttls(pki.client_context())
    assert plain.login(user, "pw")[0] == "OK"
    plain.logout()
    implicit = imaplib.IMAP4_SSL(dovecot.host, dovecot.port_ssl, ssl_context=pki.client_context(), timeout=5)
    assert implicit.login(user, "pw")[0] == "OK"
    implicit.logout()


def test_it_lists_special_use_flags_and_non_ascii_folders(dovecot):
    special = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash", "Junk": "\\Junk"}
    folders = [*special, "Gesendete Elemente", "已发送"]
    user = dovecot.add_user(dovecot.unique_username(), "pw", folders=folders)
    client = imaplib.IMAP4(dovecot.host, dovecot.port_starttls, timeout=5)
    client.login(user, "pw")
    listed = list_folders(client)
    client.logout()
    assert set(listed) == {"INBOX", *folders}  # auto = no: no Archive for this user
    for name, flag in special.items():
        assert flag in listed[name]
    assert not set(special.values()) & (listed["已发送"] | listed["Gesendete Elemente"])


def test_it_accepts_a_utf8_password_with_authenticate_plain(dovecot, pki):
    user = dovecot.add_user(dovecot.unique_username(), HARD_PASSWORD)
    client = imaplib.IMAP4_SSL(dovecot.host, dovecot.port_ssl, ssl_context=pki.client_context(), timeout=5)
    typ, _ = client.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + HARD_PASSWORD.encode())
    assert typ == "OK"
    client.logout()


def test_it_rereads_passwords_changed_while_running(dovecot):
    user = dovecot.add_user(dovecot.unique_username(), "old-pw")
    dovecot.add_user(user, "new-pw")  # same length, same second: must still reload
    client = imaplib.IMAP4(dovecot.host, dovecot.port_starttls, timeout=5)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(user, "old-pw")
    assert client.login(user, "new-pw")[0] == "OK"
    client.logout()


def test_it_shows_logindisabled_to_non_local_clients(dovecot, pki):
    user = dovecot.add_user(dovecot.unique_username(), "pw")
    client = imaplib.IMAP4(dovecot.host, dovecot.port_logindisabled, timeout=5)
    assert "LOGINDISABLED" in client.capabilities
    client.starttls(pki.client_context())
    assert client.login(user, "pw")[0] == "OK"
    client.logout()


# -- raw TCP peers --------------------------------------------------------


def connect(server, timeout=0.3) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=timeout)


def test_it_keeps_a_silent_connection_open_until_stop(raw_server):
    server = raw_server(silent)
    with connect(server) as client:
        with pytest.raises(TimeoutError):
            client.recv(1)
        began = time.monotonic()
        server.stop()
        client.settimeout(2)
        assert client.recv(1) == b""  # stop() hung up on us...
    assert time.monotonic() - began < 1  # ...promptly


def test_it_sends_then_hangs(raw_server):
    with connect(raw_server(send_then_hang(b"220 hi\r\n"))) as client:
        assert client.recv(100) == b"220 hi\r\n"
        with pytest.raises(TimeoutError):
            client.recv(1)


def test_it_sends_then_closes(raw_server):
    with connect(raw_server(send_then_close(b"* BYE\r\n")), timeout=2) as client:
        assert client.makefile("rb").read() == b"* BYE\r\n"


def test_it_plays_a_script_and_records_what_the_client_sent(raw_server):
    script = scripted([b"220 raw\r\n", expect(b"EHLO"), b"250 ok\r\n", expect(b"QUIT"), b"221 bye\r\n"])
    server = raw_server(script)
    with smtplib.SMTP(server.host, server.port, local_hostname=CLIENT_NAME, timeout=2) as client:
        assert client.ehlo()[0] == 250
    assert script.received == [b"ehlo client.example.test\r\n", b"QUIT\r\n"]
    assert script.errors == []


def test_it_drips_one_byte_per_interval(raw_server):
    with connect(raw_server(drip(b"abc", 0.1)), timeout=2) as client:
        began = time.monotonic()
        received = b""
        while len(received) < 3:
            received += client.recv(10)
    assert received == b"abc"
    assert time.monotonic() - began >= 0.18


def test_it_floods_lines(raw_server):
    with connect(raw_server(flood(b"220-spam", 10_000, then="close")), timeout=2) as client:
        data = client.makefile("rb").read()
    assert data == b"220-spam\r\n" * 10_000


def test_it_gives_a_closed_port(closed_port):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", closed_port), timeout=1)


# -- DNS ------------------------------------------------------------------


@pytest.fixture
def dns_resolver():
    return pytest.importorskip("dns.resolver")  # dnspython is optional


def resolver(dns_resolver, server, lifetime=2.0):
    res = dns_resolver.Resolver(configure=False)  # never read the system resolv.conf
    host, port = server.nameservers.split(":")
    res.nameservers, res.port, res.lifetime = [host], int(port), lifetime
    return res


def test_it_answers_a_mx_and_srv(dns_server, dns_resolver):
    dns_server.add("mail.example.test", "A", ["127.0.0.1"])
    dns_server.add("example.test", "MX", [(10, "mx.example.test"), (20, "mx2.example.test")])
    dns_server.add("_imaps._tcp.example.test", "SRV", [(0, 1, 993, "mail.example.test")])
    res = resolver(dns_resolver, dns_server)
    assert [r.address for r in res.resolve("mail.example.test", "A")] == ["127.0.0.1"]
    mx = sorted((r.preference, r.exchange.to_text()) for r in res.resolve("example.test", "MX"))
    assert mx == [(10, "mx.example.test."), (20, "mx2.example.test.")]
    [srv] = res.resolve("_imaps._tcp.example.test", "SRV")
    assert (srv.priority, srv.weight, srv.port, srv.target.to_text()) == (0, 1, 993, "mail.example.test.")
    assert [r.address for r in res.resolve("mail.example.test", "A", tcp=True)] == ["127.0.0.1"]


def test_it_answers_nxdomain_and_nodata(dns_server, dns_resolver):
    dns_server.add("example.test", "MX", [(10, "mx.example.test")])
    res = resolver(dns_resolver, dns_server)
    with pytest.raises(dns_resolver.NXDOMAIN):
        res.resolve("missing.example.test", "A")
    with pytest.raises(dns_resolver.NoAnswer):
        res.resolve("example.test", "A")


def test_it_follows_cnames_and_serves_txt(dns_server, dns_resolver):
    dns_server.add("autoconfig.example.test", "CNAME", ["mail.example.test"])
    dns_server.add("mail.example.test", "A", ["127.0.0.1"])
    dns_server.add("example.test", "TXT", ["v=spf1 -all"])
    res = resolver(dns_resolver, dns_server)
    assert [r.address for r in res.resolve("autoconfig.example.test", "A")] == ["127.0.0.1"]
    assert [r.strings for r in res.resolve("example.test", "TXT")] == [(b"v=spf1 -all",)]


def test_it_never_answers_a_hanging_name(dns_server, dns_resolver):
    dns_server.add("slow.example.test", "A", ["127.0.0.1"])
    dns_server.hang("slow.example.test")
    with pytest.raises(dns_resolver.LifetimeTimeout):
        resolver(dns_resolver, dns_server, lifetime=0.3).resolve("slow.example.test", "A")
