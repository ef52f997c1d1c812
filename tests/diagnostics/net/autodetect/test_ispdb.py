"""The ISPDB fallback, at a configurable base URL pointed at a local server."""

from diagnostics.net.autodetect.cascade import discover
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host


def _ispdb(config, dns, https_server):
    web_host(dns, "ispdb.example.test")
    config.ispdb_url = https_server.url("ispdb.example.test", "/v1.1/")


def test_it_falls_back_to_the_ispdb_for_the_domain(config, dns, https_server):
    _ispdb(config, dns, https_server)
    dns.add("acme.test", "MX", [(10, "mx.acme.test.")])
    https_server.routes[("ispdb.example.test", "/v1.1/acme.test")] = (200, autoconfig_xml(), {})
    result = discover("acme.test", config)
    assert result.source == "ispdb" and result.imap.confidence == "high"
    assert result.imap.origin == https_server.url("ispdb.example.test", "/v1.1/acme.test")


def test_it_asks_the_ispdb_for_the_mx_hosts_domain(config, dns, https_server):
    _ispdb(config, dns, https_server)
    dns.add("acme.test", "MX", [(10, "mx01.eu.hoster.test."), (20, "mx02.eu.hoster.test.")])
    https_server.routes[("ispdb.example.test", "/v1.1/hoster.test")] = (
        200,
        autoconfig_xml(imap=("imap.hoster.test", 993, "SSL", "%EMAILADDRESS%")),
        {},
    )
    result = discover("acme.test", config)
    assert result.source == "ispdb" and result.imap.host == "imap.hoster.test"
    assert result.imap.confidence == "medium"  # by way of the MX, not the domain itself
    paths = [path for _t, host, path, _q in https_server.requests if host == "ispdb.example.test"]
    assert paths == ["/v1.1/acme.test", "/v1.1/hoster.test"]


def test_it_ranks_the_ispdb_above_a_plain_http_file(config, dns, https_server, http_server):
    _ispdb(config, dns, https_server)
    web_host(dns, "autoconfig.acme.test")
    https_server.routes[("ispdb.example.test", "/v1.1/acme.test")] = (200, autoconfig_xml(), {})
    http_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(imap=("other.acme.test", 993, "SSL", "x")),
        {},
    )
    result = discover("acme.test", config, complete=True)
    assert result.source == "ispdb"
    assert {d["other"]["source"] for d in result.disagreements} == {"autoconfig-http"}


def test_it_leaves_the_ispdb_alone_when_it_is_switched_off(config, dns, https_server):
    dns.add("acme.test", "MX", [(10, "mx.acme.test.")])
    result = discover("acme.test", config)
    (report,) = [r for r in result.reports if r.source == "ispdb"]
    assert report.status == "skipped" and "AUTOCONFIG_ISPDB_URL" in report.detail
