"""The MX step against a local DNS server: custom domains at Workspace, Microsoft
365, Zoho (by region) and Fastmail."""

from diagnostics.net.autodetect.cascade import discover
from diagnostics.net.autodetect.detection import from_discovery
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host


def test_it_recognises_a_google_workspace_domain_by_mx(config, dns):
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com."), (5, "alt1.aspmx.l.google.com.")])
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.provider.id == "google" and found.provider.policy == "sso_required"
    assert found.source == "mx" and found.settings_dict() is None


def test_it_recognises_a_new_style_workspace_mx(config, dns):
    dns.add("acme.test", "MX", [(1, "smtp.google.com.")])
    assert discover("acme.test", config).provider_id == "google"


def test_it_recognises_a_microsoft_365_domain_by_mx(config, dns):
    dns.add("corp.test", "MX", [(0, "corp-test.mail.protection.outlook.com.")])
    found = from_discovery("jane@corp.test", discover("corp.test", config))
    assert found.provider.id == "microsoft" and found.provider.sso == "microsoft"
    assert found.sources[0] == {
        "source": "mx",
        "status": "found",
        "detail": "provider microsoft",
        "ms": found.sources[0]["ms"],
        "origin": "corp.test",
    }


def test_it_sends_a_zoho_eu_custom_domain_to_the_eu_organisation_servers(config, dns):
    dns.add("acme.test", "MX", [(10, "mx.zoho.eu."), (20, "mx2.zoho.eu."), (50, "mx3.zoho.eu.")])
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.provider.id == "zoho-eu" and found.provider.policy == "needs_preparation"
    assert found.settings_dict() == {
        "smtp": {"host": "smtppro.zoho.eu", "port": 465, "security": "ssl", "username": "jane@acme.test"},
        "imap": {"host": "imappro.zoho.eu", "port": 993, "security": "ssl", "username": "jane@acme.test"},
    }
    assert found.fields["smtp"]["host"] == {"value": "smtppro.zoho.eu", "source": "mx", "confidence": "high"}


def test_it_gives_a_fastmail_custom_domain_fastmails_servers(config, dns):
    dns.add("acme.test", "MX", [(10, "in1-smtp.messagingengine.com."), (20, "in2-smtp.messagingengine.com.")])
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.provider.id == "fastmail"
    assert (found.smtp.host, found.imap.host) == ("smtp.fastmail.com", "imap.fastmail.com")


def test_it_lets_mx_outrank_a_stale_autoconfig_file_and_says_so(config, dns, https_server):
    dns.add("corp.test", "MX", [(0, "corp-test.mail.protection.outlook.com.")])
    web_host(dns, "autoconfig.corp.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(imap=("imap.old.test", 993, "SSL", "x")),
        {},
    )
    result = discover("corp.test", config, complete=True)
    assert result.provider_id == "microsoft" and result.source == "mx"
    assert any(r.source == "autoconfig" and r.status == "found" for r in result.reports)


def test_it_says_when_the_domain_does_not_exist(config, dns):
    result = discover("nowhere.test", config)
    assert result.smtp is None and result.imap is None
    assert any("does not exist in DNS" in note for note in result.notes)
    assert all(r.source != "guess" for r in result.reports)  # no guessing under a missing domain


def test_it_reports_a_domain_that_receives_no_mail(config, dns):
    dns.add("acme.test", "MX", [(0, ".")])
    result = discover("acme.test", config)
    assert any(r.source == "mx" and "null MX" in r.detail for r in result.reports)


def test_it_asks_no_one_about_a_name_public_dns_cannot_have(config, dns):
    config.probe.nameservers = []  # the system resolver: nothing may be sent to it
    result = discover("acme.test", config)
    assert result.reports[0].status == "nothing" and "not a domain of the public Internet" in result.notes[0]
    assert dns.queries == []
