"""`manage.py detect` and `manage.py diagnose` run the cascade synchronously; results
are cached per domain, never per address."""

import contextlib
import io
import json

from django.core.cache import cache
from django.core.management import call_command

from diagnostics import autodetection as service
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host


def _detect(*args) -> dict:
    out = io.StringIO()
    call_command("detect", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_json_contract_for_a_workspace_domain(dns):
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com.")])
    result = _detect("jane@acme.test")
    assert {"email", "provider", "settings", "source", "candidates"} <= set(result)
    assert result["provider"]["id"] == "google" and result["provider"]["policy"] == "sso_required"
    assert set(result["provider"]) >= {"id", "name", "policy", "notes"}
    assert result["settings"] is None and result["source"] == "mx"


def test_it_gives_every_field_a_source_and_a_confidence(dns, https_server):
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, 993, "mail.acme.test.")])
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(smtp=("smtp.acme.test", 587, "STARTTLS", "%EMAILLOCALPART%"), imap=None),
        {},
    )
    result = _detect("jane@acme.test")
    assert result["settings"]["imap"] == {
        "host": "mail.acme.test",
        "port": 993,
        "security": "ssl",
        "username": "jane@acme.test",
    }
    assert result["settings"]["smtp"]["username"] == "jane"
    imap, smtp = result["fields"]["imap"], result["fields"]["smtp"]
    assert imap["host"] == {"value": "mail.acme.test", "source": "srv", "confidence": "high"}
    assert imap["username"]["source"] == "default"
    assert smtp["port"] == {"value": 587, "source": "autoconfig", "confidence": "high"}
    assert result["source"] == "srv"
    assert {c["source"] for c in result["candidates"]} == {"srv", "autoconfig"}


def test_it_reports_disagreements_between_sources(dns, https_server):
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, 993, "imap.acme.test.")])
    dns.add("_submissions._tcp.acme.test", "SRV", [(0, 1, 465, "smtp.acme.test.")])
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(
            imap=("legacy.acme.test", 143, "STARTTLS", "%EMAILADDRESS%"),
            smtp=("smtp.acme.test", 465, "SSL", "%EMAILADDRESS%"),
        ),
        {},
    )
    result = _detect("jane@acme.test", "--all-sources")
    (item,) = result["disagreements"]
    assert item["protocol"] == "imap" and item["fields"] == ["host", "port", "security"]
    assert item["chosen"]["source"] == "srv" and item["other"]["host"] == "legacy.acme.test"
    assert item["other"]["username"] == "jane@acme.test"


def test_it_caches_per_domain_and_never_keeps_the_address(dns):
    dns.add("acme.test", "MX", [(10, "mx.zoho.eu.")])
    first = _detect("jane@acme.test")

    def mx_queries():
        return [q for q in dns.queries if q[:2] == ("acme.test", "MX")]

    assert len(mx_queries()) == 1
    cached = cache.get(service.CACHE_PREFIX + "acme.test")
    assert cached is not None and "jane" not in json.dumps(cached)
    second = _detect("bob@acme.test")
    assert len(mx_queries()) == 1, "the second address at the domain asked DNS nothing"
    assert second["settings"]["imap"]["username"] == "bob@acme.test"
    assert first["provider"]["id"] == second["provider"]["id"] == "zoho-eu"


def test_it_can_ignore_the_cache(dns):
    cache.set(service.CACHE_PREFIX + "acme.test", {"bad": "shape"})
    dns.add("acme.test", "MX", [(10, "mx.zoho.eu.")])
    assert _detect("jane@acme.test")["provider"]["id"] == "zoho-eu"  # an unreadable entry is ignored
    dns.remove("acme.test")
    dns.add("acme.test", "MX", [(10, "in1-smtp.messagingengine.com.")])
    assert _detect("jane@acme.test")["provider"]["id"] == "zoho-eu"
    assert _detect("jane@acme.test", "--fresh")["provider"]["id"] == "fastmail"


def test_it_prints_a_readable_summary(dns):
    dns.add("acme.test", "MX", [(10, "mx.zoho.eu.")])
    out = io.StringIO()
    call_command("detect", "jane@acme.test", stdout=out)
    text = out.getvalue()
    assert "Zoho Mail (Europe) (needs_preparation)" in text
    assert "imap: imappro.zoho.eu:993 ssl user jane@acme.test  [mx, high confidence" in text


def test_it_applies_a_custom_domains_policy_in_diagnose_before_any_login(dns, monkeypatch):
    dns.add("corp.test", "MX", [(0, "corp-test.mail.protection.outlook.com.")])
    monkeypatch.setenv("PW", "secret")
    out = io.StringIO()
    try:
        call_command("diagnose", "jane@corp.test", "--password-env", "PW", "--json", stdout=out)
    except SystemExit as exc:
        assert exc.code == 1
    result = json.loads(out.getvalue())
    assert [e["code"] for e in result["errors"]] == ["sso_required"]
    assert result["provider"]["id"] == "microsoft" and result["steps"] == []


def test_it_uses_detected_settings_in_diagnose(dns, monkeypatch, closed_port, settings):
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, closed_port, "mail.acme.test.")])
    dns.add("_submissions._tcp.acme.test", "SRV", [(0, 1, closed_port, "mail.acme.test.")])
    web_host(dns, "mail.acme.test")
    monkeypatch.setenv("PW", "secret")
    out = io.StringIO()
    with contextlib.suppress(SystemExit):
        call_command("diagnose", "jane@acme.test", "--password-env", "PW", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["settings"]["source"] == "srv"
    assert result["settings"]["imap"]["host"] == "mail.acme.test"
    assert result["settings"]["imap"]["port"] == closed_port
