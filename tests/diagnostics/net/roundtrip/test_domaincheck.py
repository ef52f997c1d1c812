"""The sender domain's DNS and the tracking CNAME, answered by a local DNS server."""

import dataclasses

import pytest

from diagnostics.net import domaincheck, tracking
from diagnostics.net.directory import by_id

GOOGLE = by_id("google")
MICROSOFT = by_id("microsoft")
TARGET = "track.emailcenter.example"


@pytest.fixture
def dns_config(dns_server, probe_config):
    dns_server.add("_spf.google.com", "TXT", "v=spf1 include:_netblocks.google.com ~all")
    dns_server.add("_netblocks.google.com", "TXT", "v=spf1 ip4:35.190.247.0/24 ~all")
    dns_server.add("spf.protection.outlook.com", "TXT", "v=spf1 ip4:40.92.0.0/15 -all")
    return dataclasses.replace(probe_config, nameservers=[dns_server.nameservers])


def check(domain, provider, config, signatures=()):
    return domaincheck.check_domain(
        domain, provider, config, smtp_host="smtp.acme.test", signatures=signatures
    )


def test_a_good_domain_passes_every_check(dns_server, dns_config):
    dns_server.add("acme.test", "TXT", ["v=spf1 include:_spf.google.com ~all", "google-site-verification=x"])
    dns_server.add("acme.test", "MX", [(1, "smtp.google.com")])
    dns_server.add("_dmarc.acme.test", "TXT", "v=DMARC1; p=reject; rua=mailto:d@acme.test")
    dns_server.add("google._domainkey.acme.test", "TXT", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A")
    result = check("acme.test", GOOGLE, dns_config)
    assert set(result) == {"spf", "dmarc", "dkim", "mx"}
    assert {name: item["status"] for name, item in result.items()} == {
        "spf": "ok",
        "dmarc": "ok",
        "dkim": "ok",
        "mx": "ok",
    }
    assert "_spf.google.com" in result["spf"]["includes"]
    assert result["dmarc"]["policy"] == "reject"
    assert result["mx"]["hosts"] == ["smtp.google.com"]
    assert all(item["fix"] is None for item in result.values())


def test_a_missing_spf_gets_the_exact_record_with_the_providers_include(dns_server, dns_config):
    dns_server.add("acme.test", "MX", [(1, "smtp.google.com")])
    result = check("acme.test", GOOGLE, dns_config)
    assert result["spf"]["status"] == "missing"
    assert result["spf"]["fix"] == {
        "type": "TXT",
        "name": "acme.test",
        "value": "v=spf1 include:_spf.google.com ~all",
    }


def test_an_spf_without_the_providers_include_gets_the_same_record_plus_it(dns_server, dns_config):
    dns_server.add("acme.test", "TXT", "v=spf1 ip4:192.0.2.10 -all")
    result = check("acme.test", MICROSOFT, dns_config)
    assert result["spf"]["status"] == "warning"
    assert result["spf"]["fix"]["value"] == "v=spf1 ip4:192.0.2.10 include:spf.protection.outlook.com -all"


def test_a_redirect_to_the_provider_counts_as_including_it(dns_server, dns_config):
    dns_server.add("acme.test", "TXT", "v=spf1 redirect=_spf.google.com")
    assert check("acme.test", GOOGLE, dns_config)["spf"]["status"] == "ok"


def test_a_broken_spf_is_invalid_with_checkdmarcs_reason(dns_server, dns_config):
    dns_server.add("acme.test", "TXT", "v=spf1 include:_spf.google.com foo:bar ~all")
    result = check("acme.test", GOOGLE, dns_config)["spf"]
    assert result["status"] == "invalid" and "foo" in result["detail"]


def test_too_many_spf_lookups_is_invalid(dns_server, dns_config):
    chain = " ".join(f"include:s{i}.acme.test" for i in range(11))
    dns_server.add("acme.test", "TXT", f"v=spf1 {chain} ~all")
    for i in range(11):
        dns_server.add(f"s{i}.acme.test", "TXT", "v=spf1 ip4:192.0.2.1 ~all")
    result = check("acme.test", None, dns_config)["spf"]
    assert result["status"] == "invalid"


@pytest.mark.parametrize(
    ("record", "status", "policy"),
    [
        ("v=DMARC1; p=none; rua=mailto:d@acme.test", "warning", "none"),
        ("v=DMARC1; p=quarantine", "ok", "quarantine"),
        ("v=DMARC1; p=reject", "ok", "reject"),
        (None, "missing", None),
    ],
)
def test_dmarc_policies(dns_server, dns_config, record, status, policy):
    dns_server.add("acme.test", "A", "192.0.2.1")
    if record:
        dns_server.add("_dmarc.acme.test", "TXT", record)
    result = check("acme.test", None, dns_config)["dmarc"]
    assert (result["status"], result["policy"]) == (status, policy)
    if record is None:
        assert result["fix"]["name"] == "_dmarc.acme.test" and result["fix"]["value"].startswith(
            "v=DMARC1; p=none"
        )


def test_dkim_present_for_a_known_selector_behind_a_cname(dns_server, dns_config):
    dns_server.add(
        "selector2._domainkey.acme.test", "CNAME", "selector2-acme-test._domainkey.acme.onmicrosoft.com"
    )
    dns_server.add(
        "selector2-acme-test._domainkey.acme.onmicrosoft.com", "TXT", "v=DKIM1; k=rsa; p=MIGfMA0GCS"
    )
    result = check("acme.test", MICROSOFT, dns_config)["dkim"]
    assert result["status"] == "ok"
    assert [(s["selector"], s["found"]) for s in result["selectors"]] == [
        ("selector1", False),
        ("selector2", True),
    ]


def test_dkim_absent_names_the_record_and_where_to_switch_it_on(dns_server, dns_config):
    dns_server.add("acme.test", "A", "192.0.2.1")
    result = check("acme.test", GOOGLE, dns_config)["dkim"]
    assert result["status"] == "missing"
    assert result["fix"]["name"] == "google._domainkey.acme.test"
    assert "Google Admin" in result["advice"]


def test_dkim_from_the_round_trips_signature(dns_server, dns_config):
    dns_server.add("rt2026._domainkey.acme.test", "TXT", "v=DKIM1; p=MIGfMA0GCS")
    unknown = check("acme.test", None, dns_config)["dkim"]
    assert unknown["status"] == "unknown"  # no selector to try without the round trip
    signed = check("acme.test", None, dns_config, [{"domain": "acme.test", "selector": "rt2026"}])["dkim"]
    assert signed["status"] == "ok" and signed["selectors"][0]["source"] == "signature"


def test_a_revoked_dkim_key_is_not_a_key(dns_server, dns_config):
    dns_server.add("google._domainkey.acme.test", "TXT", "v=DKIM1; p=")
    assert check("acme.test", GOOGLE, dns_config)["dkim"]["status"] == "missing"


def test_no_mx_is_missing(dns_server, dns_config):
    dns_server.add("acme.test", "TXT", "v=spf1 -all")
    result = check("acme.test", GOOGLE, dns_config)["mx"]
    assert result["status"] == "missing" and result["fix"]["value"] == "1 smtp.google.com"


def test_a_dns_server_that_never_answers_gives_unknown_in_time(dns_server, dns_config):
    import time

    dns_server.hang("acme.test")
    dns_server.hang("_dmarc.acme.test")
    started = time.monotonic()
    result = check("acme.test", GOOGLE, dataclasses.replace(dns_config, timeout=1.0))
    assert time.monotonic() - started < 10
    assert result["spf"]["status"] == "unknown" and result["dmarc"]["status"] == "unknown"


def test_reserved_names_are_never_asked_of_the_system_resolver(probe_config):
    result = check("acme.test", GOOGLE, probe_config)
    assert {item["status"] for item in result.values()} == {"unknown"}


@pytest.mark.parametrize(
    ("records", "status"),
    [
        ([("CNAME", f"{TARGET}.")], "ok"),
        ([("CNAME", "elsewhere.example.net")], "wrong"),
        ([], "missing"),
        ([("A", "192.0.2.7")], "proxied"),
    ],
)
def test_tracking_cname(dns_server, dns_config, records, status):
    dns_server.add("acme.test", "A", "192.0.2.1")
    for rtype, value in records:
        dns_server.add("track.acme.test", rtype, value)
    result = tracking.check_tracking("track.acme.test", TARGET, dns_config)
    assert result["status"] == status
    if status == "ok":
        assert result["fix"] is None and "https://track.acme.test/" in result["https"]
    else:
        assert result["fix"] == {"type": "CNAME", "name": "track.acme.test", "value": f"{TARGET}."}


def test_tracking_without_a_configured_target(dns_config):
    assert tracking.check_tracking("track.acme.test", "", dns_config)["status"] == "unconfigured"


@pytest.mark.parametrize("typed", ["https://Track.Acme.test/x", "track.acme.test.", " TRACK.acme.test "])
def test_tracking_host_normalization(typed):
    assert tracking.normalize(typed) == "track.acme.test"


@pytest.mark.parametrize("typed", ["", "127.0.0.1", "localhost", "bad_name.acme.test", "a" * 300])
def test_tracking_host_refusals(typed):
    from diagnostics.net.errors import ProbeError

    with pytest.raises(ProbeError):
        tracking.normalize(typed)
