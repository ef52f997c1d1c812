"""ISPDB entries whose servers we cannot use are explained, and their usable half kept:
peoplepc.com's plaintext-only IMAP (port 143 without TLS, beside STARTTLS SMTP), and a
provider that offers POP3 only. Served by a local ISPDB as Thunderbird's database lists them."""

import io
import json

from django.core.management import call_command
from django.urls import reverse

from diagnostics.net.autodetect.cascade import discover
from tests.diagnostics.net.autodetect.fixtures import web_host

# The shape of ISPDB's peoplepc.com.xml: POP3 and IMAP in plain text, SMTP with STARTTLS.
PEOPLEPC = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="peoplepc.com">
<domain>peoplepc.com</domain><displayName>PeoplePC</displayName>
<incomingServer type="pop3"><hostname>pop.peoplepc.com</hostname><port>110</port>
<socketType>plain</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
<incomingServer type="imap"><hostname>imap.peoplepc.com</hostname><port>143</port>
<socketType>plain</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtpauth.peoplepc.com</hostname><port>587</port>
<socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>"""

POP3_ONLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="popmail.test">
<domain>popmail.test</domain><displayName>Pop Mail</displayName>
<incomingServer type="pop3"><hostname>pop.popmail.test</hostname><port>995</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication></incomingServer>
<outgoingServer type="smtp"><hostname>smtp.popmail.test</hostname><port>465</port>
<socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication></outgoingServer>
</emailProvider></clientConfig>"""


def _ispdb(config, dns, https_server, settings=None):
    web_host(dns, "ispdb.example.test")
    url = https_server.url("ispdb.example.test", "/v1.1/")
    config.ispdb_url = url
    if settings is not None:
        settings.AUTOCONFIG_ISPDB_URL = url
    https_server.routes[("ispdb.example.test", "/v1.1/peoplepc.com")] = (200, PEOPLEPC, {})
    https_server.routes[("ispdb.example.test", "/v1.1/popmail.test")] = (200, POP3_ONLY, {})
    dns.add("peoplepc.com", "MX", [(10, "mx.peoplepc.com.")])
    dns.add("popmail.test", "MX", [(10, "mx.popmail.test.")])


def test_plaintext_only_imap_is_explained_and_the_smtp_half_kept(config, dns, https_server):
    _ispdb(config, dns, https_server)
    result = discover("peoplepc.com", config)
    assert result.imap is None
    assert (result.smtp.host, result.smtp.port, result.smtp.security) == (
        "smtpauth.peoplepc.com",
        587,
        "starttls",
    )
    (item,) = result.unusable
    assert (item["protocol"], item["reason"]) == ("imap", "plaintext_only")
    assert item["detail"].startswith(
        "This provider's IMAP is unencrypted (imap.peoplepc.com:143 without TLS)"
    )
    assert "we never send your password in clear" in item["detail"]


def test_a_pop3_only_provider_is_explained(config, dns, https_server):
    _ispdb(config, dns, https_server)
    result = discover("popmail.test", config)
    assert result.imap is None and result.smtp.host == "smtp.popmail.test"
    assert [(u["protocol"], u["reason"]) for u in result.unusable] == [("imap", "pop3_only")]
    assert "This provider offers POP3 only, not IMAP" in result.unusable[0]["detail"]


def test_detect_json_says_why_and_keeps_the_usable_half(config, dns, https_server, settings):
    _ispdb(config, dns, https_server, settings)
    out = io.StringIO()
    call_command("detect", "jane@peoplepc.com", "--json", "--fresh", stdout=out)
    result = json.loads(out.getvalue())
    assert [(u["protocol"], u["reason"]) for u in result["unusable"]] == [("imap", "plaintext_only")]
    assert result["fields"]["smtp"]["host"]["value"] == "smtpauth.peoplepc.com"
    assert "imap" not in result["fields"] and result["settings"] is None  # the contract's shape holds
    assert any("unencrypted" in note for note in result["notes"])


def test_the_connect_page_says_why_and_fills_the_smtp_half(client_a, config, dns, https_server, settings):
    from diagnostics import autodetection

    _ispdb(config, dns, https_server, settings)
    autodetection.discover_and_store("popmail.test")
    body = client_a.get(reverse("mailbox_new"), {"email": "jane@popmail.test"}).content.decode()
    assert 'data-reason="pop3_only"' in body and "This provider offers POP3 only, not IMAP" in body
    assert 'value="smtp.popmail.test"' in body and 'value="jane"' in body
