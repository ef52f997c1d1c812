"""Guessing with protocol-level probes against local SMTP (aiosmtpd) and IMAP
(Dovecot) servers, presented under the guessed names by the local DNS."""

import pytest

from diagnostics.net.autodetect.cascade import discover
from diagnostics.net.autodetect.probe import NotAServer, probe
from tests.diagnostics.net.autodetect.fixtures import web_host

pytestmark = pytest.mark.usefixtures("dns")


@pytest.fixture
def mail_servers(smtp_server, dovecot):
    return smtp_server(security="ssl"), smtp_server(security="starttls"), dovecot


def _exists(dns, domain="example.test"):
    # The domain itself must exist for guessing to start (only its MX is missing).
    dns.add(domain, "TXT", "v=spf1 -all")


def test_it_guesses_by_probing_smtp_and_imap(config, dns, mail_servers):
    smtp_ssl, smtp_tls, dovecot = mail_servers
    _exists(dns)
    web_host(dns, "mail.example.test")
    config.guess_ports = {
        993: dovecot.port_ssl,
        143: dovecot.port_starttls,
        465: smtp_ssl.port,
        587: smtp_tls.port,
    }
    result = discover("example.test", config)
    assert result.source == "guess"
    assert (result.imap.host, result.imap.port, result.imap.security) == (
        "mail.example.test",
        dovecot.port_ssl,
        "ssl",
    )
    assert (result.smtp.host, result.smtp.port, result.smtp.security) == (
        "mail.example.test",
        smtp_ssl.port,
        "ssl",
    )
    assert "PLAIN" in result.smtp.auth and "PLAIN" in result.imap.auth
    assert result.imap.confidence == "medium" and result.imap.username_source == "default"


def test_it_tells_starttls_from_implicit_tls(config, dns, mail_servers, closed_port):
    _smtp_ssl, smtp_tls, dovecot = mail_servers
    _exists(dns)
    web_host(dns, "mail.example.test")
    config.guess_ports = {993: closed_port, 143: dovecot.port_starttls, 465: closed_port, 587: smtp_tls.port}
    result = discover("example.test", config)
    assert (result.imap.port, result.imap.security) == (dovecot.port_starttls, "starttls")
    assert (result.smtp.port, result.smtp.security) == (smtp_tls.port, "starttls")


def test_it_rejects_a_server_whose_certificate_is_for_another_name(config, dns, mail_servers):
    smtp_ssl, smtp_tls, dovecot = mail_servers
    web_host(dns, "example.test")  # only the bare domain; the certificate is for mail.example.test
    config.guess_ports = {
        993: dovecot.port_ssl,
        143: dovecot.port_starttls,
        465: smtp_ssl.port,
        587: smtp_tls.port,
    }
    result = discover("example.test", config)
    assert result.imap is None and result.smtp is None
    (report,) = [r for r in result.reports if r.source == "guess"]
    assert report.status == "nothing" and "TLS failed" in report.detail


def test_it_rejects_a_server_that_speaks_another_protocol(config, dns, raw_server, closed_port):
    from tests.servers.raw import send_then_close

    web = raw_server(send_then_close(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    with pytest.raises(NotAServer, match="not an SMTP reply"):
        probe("smtp", "127.0.0.1", web.port, "starttls", config.probe, 2.0)
    with pytest.raises(NotAServer, match="not an IMAP greeting"):
        probe("imap", "127.0.0.1", web.port, "starttls", config.probe, 2.0)


def test_it_rejects_an_smtp_server_without_auth(config, smtp_server):
    relay = smtp_server(security="ssl", auth_mechanisms=())
    with pytest.raises(NotAServer, match="not a submission server"):
        probe("smtp", "127.0.0.1", relay.port, "ssl", config.probe, 2.0)


def test_it_rejects_a_server_without_starttls(config, smtp_server):
    plain = smtp_server(security="none")
    with pytest.raises(NotAServer, match="does not offer STARTTLS"):
        probe("smtp", "127.0.0.1", plain.port, "starttls", config.probe, 2.0)


def test_it_guesses_only_what_the_other_sources_left_unfound(config, dns, mail_servers, closed_port):
    smtp_ssl, _smtp_tls, _dovecot = mail_servers
    _exists(dns)
    web_host(dns, "mail.example.test")
    dns.add("_imaps._tcp.example.test", "SRV", [(0, 1, 993, "imap.example.test.")])
    config.guess_ports = {993: closed_port, 143: closed_port, 465: smtp_ssl.port, 587: closed_port}
    result = discover("example.test", config)
    assert result.imap.source == "srv" and result.smtp.source == "guess"
    assert result.source == "srv"


def test_it_does_not_guess_when_the_sources_found_everything(config, dns):
    dns.add("_imaps._tcp.example.test", "SRV", [(0, 1, 993, "mail.example.test.")])
    dns.add("_submissions._tcp.example.test", "SRV", [(0, 1, 465, "mail.example.test.")])
    result = discover("example.test", config)
    assert all(r.source != "guess" for r in result.reports)
