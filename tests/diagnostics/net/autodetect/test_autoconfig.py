"""The domain's own autoconfig file over local HTTPS and HTTP servers: parsing,
placeholders, fallbacks, and hostile answers (each a clear result, no crash)."""

import pytest

from diagnostics.net.autodetect.cascade import discover
from diagnostics.net.autodetect.detection import from_discovery
from diagnostics.net.autodetect.model import fill, fill_domain
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host
from tests.servers.web import endless, redirect

WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"
SUBDOMAIN = "/mail/config-v1.1.xml"


def _report(result, source):
    return [r for r in result.reports if r.source == source]


def test_it_reads_the_isp_autoconfig_over_https(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[("autoconfig.acme.test", SUBDOMAIN)] = (
        200,
        autoconfig_xml(
            imap=("imap.%EMAILDOMAIN%", 993, "SSL", "%EMAILLOCALPART%"),
            smtp=("smtp.acme.test", 587, "STARTTLS", "%EMAILADDRESS%"),
            name="Acme Mail",
        ),
        {},
    )
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.source == "autoconfig" and found.label == "Acme Mail"
    assert found.settings_dict() == {
        "smtp": {"host": "smtp.acme.test", "port": 587, "security": "starttls", "username": "jane@acme.test"},
        "imap": {"host": "imap.acme.test", "port": 993, "security": "ssl", "username": "jane"},
    }
    assert found.fields["imap"]["username"] == {"value": "jane", "source": "autoconfig", "confidence": "high"}
    # The address itself never leaves us: the query carries the placeholder.
    (_at, host, _path, query), *_ = https_server.requests
    assert host == "autoconfig.acme.test" and query == "emailaddress=%25EMAILADDRESS%25"
    assert all("jane" not in q for *_, q in https_server.requests)


def test_it_resolves_every_placeholder():
    email = "Jane.Doe@Acme.test"
    assert fill("%EMAILADDRESS%", email) == email
    assert fill("%EMAILLOCALPART%", email) == "Jane.Doe"
    assert fill("%EMAILLOCALPART%@%EMAILDOMAIN%", email) == email
    assert fill("corp\\%emaillocalpart%", email) == "corp\\Jane.Doe"
    assert fill("", email) == email
    assert fill_domain("mail.%EMAILDOMAIN%", "acme.test") == "mail.acme.test"


def test_it_falls_back_to_the_well_known_url(config, dns, https_server):
    web_host(dns, "acme.test")
    https_server.routes[("acme.test", WELL_KNOWN)] = (200, autoconfig_xml(), {})
    result = discover("acme.test", config)
    assert result.source == "autoconfig" and result.imap.origin.endswith(WELL_KNOWN)


def test_it_falls_back_to_plain_http_with_low_confidence(config, dns, http_server):
    web_host(dns, "autoconfig.acme.test")  # nothing answers https there
    http_server.routes[SUBDOMAIN] = (200, autoconfig_xml(), {})
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.source == "autoconfig-http"
    assert {f["confidence"] for f in found.fields["imap"].values()} == {"low"}
    assert any("plain http" in note for note in found.notes)


def test_it_does_not_use_plain_http_when_https_answers(config, dns, https_server, http_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = (200, autoconfig_xml(), {})
    http_server.routes[SUBDOMAIN] = (200, autoconfig_xml(imap=("evil.test", 993, "SSL", "x")), {})
    result = discover("acme.test", config, complete=True)
    assert result.source == "autoconfig" and result.imap.host == "imap.example.test"
    assert http_server.requests == []


def test_it_prefers_implicit_tls_and_never_plain_text_from_a_file(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    servers = (
        '<incomingServer type="imap"><hostname>plain.acme.test</hostname><port>143</port>'
        "<socketType>plain</socketType></incomingServer>"
        '<incomingServer type="imap"><hostname>tls.acme.test</hostname><port>143</port>'
        "<socketType>STARTTLS</socketType></incomingServer>"
        '<incomingServer type="imap"><hostname>ssl.acme.test</hostname><port>993</port>'
        "<socketType>SSL</socketType></incomingServer>"
    )
    https_server.routes[SUBDOMAIN] = (200, autoconfig_xml(imap=None, extra=servers), {})
    assert discover("acme.test", config).imap.host == "ssl.acme.test"


def test_it_reports_malformed_xml_clearly(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = (200, b"<clientConfig><emailProvider><incomingServer>", {})
    result = discover("acme.test", config)
    (report, _) = _report(result, "autoconfig")
    assert report.status == "failed" and "not well-formed XML" in report.detail


def test_it_refuses_xml_entity_tricks(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<clientConfig>&lol2;</clientConfig>"
    )
    https_server.routes[SUBDOMAIN] = (200, bomb, {})
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and "entities" in report.detail


def test_it_reports_a_file_that_is_not_an_autoconfig_file(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = (200, b"<html><body>Welcome</body></html>", {})
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert "not an autoconfig file" in report.detail


def test_it_stops_at_an_announced_oversized_response(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = (200, b"x" * 10, {"Content-Length": str(50_000_000)})
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and "announced 50000000 bytes" in report.detail


def test_it_stops_reading_an_endless_response(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = endless
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and "more than 1000000 bytes" in report.detail


def test_it_stops_a_redirect_loop(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = redirect("/a")
    https_server.routes["/a"] = redirect("/b")
    https_server.routes["/b"] = redirect("/a")
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and "redirects in a loop" in report.detail


def test_it_stops_after_too_many_redirects(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = redirect("/1")
    for hop in range(1, 6):
        https_server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert "More than 3 redirects" in report.detail


def test_it_follows_a_redirect_to_another_host(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test", "autoconfig.hoster.test")
    https_server.routes[("autoconfig.acme.test", SUBDOMAIN)] = redirect(
        https_server.url("autoconfig.hoster.test", "/shared.xml")
    )
    https_server.routes[("autoconfig.hoster.test", "/shared.xml")] = (200, autoconfig_xml(), {})
    result = discover("acme.test", config)
    assert result.source == "autoconfig" and result.imap.origin.endswith("/shared.xml")


def test_it_checks_every_redirect_hop_against_the_private_network_guard(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    dns.add("intranet.acme.test", "A", "10.1.2.3")
    https_server.routes[SUBDOMAIN] = redirect("https://intranet.acme.test/config.xml")
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and "private or internal address" in report.detail


def test_it_refuses_a_redirect_from_https_to_http(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[SUBDOMAIN] = redirect("http://autoconfig.acme.test/mail/config-v1.1.xml")
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert "redirected from https" in report.detail


def test_it_refuses_a_certificate_for_another_name(config, dns, https_server):
    web_host(dns, "autoconfig.other.test")  # the test certificate does not cover it
    https_server.routes[SUBDOMAIN] = (200, autoconfig_xml(), {})
    result = discover("other.test", config)
    (report, _) = _report(result, "autoconfig")
    assert report.status == "failed" and "TLS" in report.detail
    assert result.source != "autoconfig"


def test_it_notes_servers_that_only_take_oauth(config, dns, https_server):
    web_host(dns, "autoconfig.acme.test")
    body = autoconfig_xml().replace(b"password-cleartext", b"OAuth2")
    https_server.routes[SUBDOMAIN] = (200, body, {})
    result = discover("acme.test", config)
    assert any("only accepts OAuth" in note for note in result.notes)


@pytest.mark.parametrize("port", [25, 22, 6379, 8080])
def test_it_follows_redirects_to_web_ports_only(config, dns, https_server, port):
    web_host(dns, "autoconfig.acme.test", "files.hoster.test")
    https_server.routes[SUBDOMAIN] = redirect(f"https://files.hoster.test:{port}/config.xml")
    (report, _) = _report(discover("acme.test", config), "autoconfig")
    assert report.status == "failed" and f"redirected to port {port}" in report.detail
