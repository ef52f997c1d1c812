"""One deadline over every source, queried at once: a hanging source never delays
a faster one, and nothing runs past the deadline.

These tests measure time because time is what they are about; each bound sits well
apart from both what the code should take and what the fault would cost, so that it
holds while CI's other tier loads the same cores. That every source is asked at once
is shown by the sources waiting for each other, not by a clock."""

import threading
import time

from diagnostics.net.autodetect.cascade import discover
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host
from tests.servers.web import hang


def _long(config):
    """A deadline and a request timeout long enough that waiting for a hanging web
    server would be plain (tens of seconds). The server lets go when it stops."""
    config.deadline = 60.0
    config.probe.timeout = 50.0
    config.probe.deadline = 60.0
    return config


def test_it_does_not_let_a_hanging_dns_answer_delay_a_faster_source(config, dns):
    config.grace = 0.2  # well apart from the window (1.8 s), which waiting for the MX would take
    dns.hang("acme.test")  # the MX query never gets an answer
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, 993, "mail.acme.test.")])
    dns.add("_submissions._tcp.acme.test", "SRV", [(0, 1, 465, "mail.acme.test.")])
    started = time.monotonic()
    result = discover("acme.test", config)
    elapsed = time.monotonic() - started
    assert result.source == "srv"
    assert elapsed < config.window - 0.5  # the MX got its grace, not the whole window
    (mx,) = [r for r in result.reports if r.source == "mx"]
    assert mx.status in ("timeout", "not_needed")


def test_it_does_not_wait_for_a_hanging_web_server_once_mx_answered(config, dns, https_server):
    _long(config)
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com.")])
    web_host(dns, "autoconfig.acme.test", "acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = hang
    started = time.monotonic()
    result = discover("acme.test", config)
    assert result.provider_id == "google"
    assert time.monotonic() - started < 10 < config.window  # not the hanging server's window


def test_it_queries_every_source_at_once(config, dns, https_server):
    dns.hang("acme.test")
    web_host(dns, "autoconfig.acme.test", "ispdb.example.test")
    config.ispdb_url = https_server.url("ispdb.example.test", "/v1.1/")
    # Each source answers only once the other has asked: asked one after the other,
    # the first would never answer and the barrier would break.
    both_asked = threading.Barrier(2, timeout=config.deadline)
    https_server.routes["/mail/config-v1.1.xml"] = _after(both_asked, autoconfig_xml())
    https_server.routes["/v1.1/acme.test"] = _after(both_asked, autoconfig_xml())
    result = discover("acme.test", config)
    assert not both_asked.broken, "the sources were not asked together"
    assert result.source == "autoconfig"


def _after(barrier: threading.Barrier, body: bytes):
    def respond(handler) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


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
    assert elapsed < config.deadline + 1.0  # every source hangs for ever: only the deadline ends it
    assert result.smtp is None and result.imap is None
    assert {r.status for r in result.reports if r.source in ("mx", "srv", "autoconfig")} <= {
        "timeout",
        "nothing",
    }
