"""One deadline over every source, queried at once: a hanging source never delays
a faster one, and nothing runs past the deadline."""

import time

from diagnostics.net.autodetect.cascade import discover

from .conftest import autoconfig_xml, web_host
from .web import hang, slow


def test_it_does_not_let_a_hanging_dns_answer_delay_a_faster_source(config, dns):
    dns.hang("acme.test")  # the MX query never gets an answer
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, 993, "mail.acme.test.")])
    dns.add("_submissions._tcp.acme.test", "SRV", [(0, 1, 465, "mail.acme.test.")])
    started = time.monotonic()
    result = discover("acme.test", config)
    elapsed = time.monotonic() - started
    assert result.source == "srv"
    assert elapsed < config.grace + 0.5 < config.window  # the MX got its grace, not the whole window
    (mx,) = [r for r in result.reports if r.source == "mx"]
    assert mx.status in ("timeout", "not_needed")


def test_it_does_not_wait_for_a_hanging_web_server_once_mx_answered(config, dns, https_server):
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com.")])
    web_host(dns, "autoconfig.acme.test", "acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = hang
    started = time.monotonic()
    result = discover("acme.test", config)
    assert result.provider_id == "google"
    assert time.monotonic() - started < 0.5


def test_it_queries_every_source_at_once(config, dns, https_server):
    dns.hang("acme.test")
    web_host(dns, "autoconfig.acme.test", "ispdb.example.test")
    config.ispdb_url = https_server.url("ispdb.example.test", "/v1.1/")
    https_server.routes["/mail/config-v1.1.xml"] = slow(0.4, autoconfig_xml())
    https_server.routes["/v1.1/acme.test"] = slow(0.4, autoconfig_xml())
    started = time.monotonic()
    result = discover("acme.test", config)
    arrivals = sorted(t for t, *_ in https_server.requests)
    assert len(arrivals) >= 2 and arrivals[-1] - arrivals[0] < 0.3  # asked together
    assert result.source == "autoconfig"
    assert time.monotonic() - started < 0.4 + config.grace + 0.5  # not 0.4 + 0.4 + ...


def test_it_answers_within_the_deadline_when_everything_hangs(config, dns, https_server, http_server):
    for name in ("acme.test", "_submissions._tcp.acme.test", "_submission._tcp.acme.test"):
        dns.hang(name)
    for name in ("_imaps._tcp.acme.test", "_imap._tcp.acme.test", "imap.acme.test", "smtp.acme.test"):
        dns.hang(name)
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = hang
    http_server.routes["/mail/config-v1.1.xml"] = hang
    config.deadline = 1.5
    started = time.monotonic()
    result = discover("acme.test", config)
    elapsed = time.monotonic() - started
    assert elapsed < config.deadline + 0.4
    assert result.smtp is None and result.imap is None
    assert {r.status for r in result.reports if r.source in ("mx", "srv", "autoconfig")} <= {
        "timeout",
        "nothing",
    }
