"""Benchmark autodetection against local servers only (DNS, HTTPS on 127.0.0.1).

    .venv/bin/python bench/autodetect.py [--runs 200] [--write]

1. A known domain: the directory answer through `detect()`, in-process.
2. A custom domain found by MX (Google Workspace): one local DNS round trip timed
   alone, then the whole cascade; the difference is our overhead.
3. The full cascade for an unknown domain with the default 6 s deadline: once
   where nothing exists (everything fails fast, guessing included) and once where
   every source hangs; the spread of the sources' first requests shows that they
   were all asked at once.

--write records the tables in bench/RESULTS.md under "Autodetection", leaving
the other sections alone.
"""

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-autodetect-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = str(SCRATCH)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")

import django  # noqa: E402

django.setup()

from diagnostics import autodetection as service  # noqa: E402
from diagnostics.net import directory  # noqa: E402
from diagnostics.net.autodetect import cascade, dnsq  # noqa: E402
from diagnostics.net.autodetect.config import AutodetectConfig  # noqa: E402
from diagnostics.net.steps import ProbeConfig  # noqa: E402
from tests.servers.web import WebServer, hang  # noqa: E402
from tests.servers.tls import TestPKI  # noqa: E402

# The DNS server runs in its own process, as a real one would: in this process it
# would share the GIL with the cascade's threads and time their contention, not ours.
_DNS_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from tests.servers.dns import LocalDNS

class Timed(LocalDNS):
    first = {}
    def answer(self, data, transport):
        reply = super().answer(data, transport)
        if self.queries:
            self.first.setdefault(self.queries[-1][0], time.monotonic())
        return reply

spec = json.loads(sys.argv[2])
dns = Timed()
for name, rtype, values in spec["records"]:
    dns.add(name, rtype, [tuple(v) if isinstance(v, list) else v for v in values])
for name in spec["hang"]:
    dns.hang(name)
print(dns.port, flush=True)
sys.stdin.readline()
print(json.dumps(Timed.first), flush=True)
dns.stop()
"""


class ChildDNS:
    """LocalDNS in a child process; `stop()` returns when each name was first asked."""

    def __init__(self, records: list, hang: list[str] = ()):
        spec = json.dumps({"records": records, "hang": list(hang)})
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", _DNS_CHILD, str(ROOT), spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())
        self.nameservers = f"127.0.0.1:{self.port}"

    def stop(self) -> dict[str, float]:
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        first = json.loads(self.proc.stdout.readline())
        self.proc.wait(timeout=10)
        return first


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def known_domains(runs: int) -> list[str]:
    emails = [f"someone@{d}" for p in directory.PROVIDERS for d in p.domains]
    service.detect(emails[0])  # load the public suffix list once, as a running process has
    samples = []
    for _ in range(runs):
        for email in emails:
            started = time.perf_counter()
            service.detect(email)
            samples.append(time.perf_counter() - started)
    median, p99 = _stats(samples)
    return [
        f"| known domain, `detect()` over all {len(emails)} directory domains × {runs} | "
        f"{_ms(median)} | {_ms(p99)} | {_ms(max(samples))} | under 10 ms |"
    ]


def _config(dns: ChildDNS, pki: TestPKI, https_port: int, deadline: float = 6.0) -> AutodetectConfig:
    probe = ProbeConfig(
        timeout=10.0, allowed_private=["127.0.0.1"], nameservers=[dns.nameservers], ca_file=pki.ca_file
    )
    return AutodetectConfig(probe=probe, deadline=deadline, ispdb_url="", https_port=https_port)


def _settle(baseline: int) -> None:
    """Wait for the sources that lost (still asking the same local DNS server, in
    this same process) to finish, so they do not slow the next measurement."""
    end = time.monotonic() + 2
    while threading.active_count() > baseline and time.monotonic() < end:
        time.sleep(0.005)


def custom_domain_by_mx(runs: int, pki: TestPKI) -> list[str]:
    dns = ChildDNS([["acme.test", "MX", [[1, "aspmx.l.google.com."], [5, "alt1.aspmx.l.google.com."]]]])
    try:
        config = _config(dns, pki, 443)
        baseline = threading.active_count()
        rtts, totals = [], []
        for _ in range(runs):
            started = time.perf_counter()
            dnsq.mx_hosts("acme.test", config.probe, 2.0)
            rtts.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = cascade.discover("acme.test", config)
            totals.append(time.perf_counter() - started)
            assert result.provider_id == "google", result
            _settle(baseline)
    finally:
        dns.stop()
    rtt, rtt99 = _stats(rtts)
    total, total99 = _stats(totals)
    overheads = sorted(t - r for t, r in zip(totals, rtts, strict=True))
    overhead, overhead99 = _stats(overheads)
    return [
        f"| custom domain by MX: one DNS round trip alone × {runs} | {_ms(rtt)} | {_ms(rtt99)} | "
        f"{_ms(max(rtts))} | |",
        f"| custom domain by MX: whole cascade × {runs} | {_ms(total)} | {_ms(total99)} | "
        f"{_ms(max(totals))} | |",
        f"| custom domain by MX: cascade minus the round trip | {_ms(overhead)} | {_ms(overhead99)} | "
        f"{_ms(max(overheads))} | under 20 ms |",
    ]


def unknown_domain(pki: TestPKI, hanging: bool) -> tuple[str, str]:
    leaf = pki.ca.issue_cert("autoconfig.nowhere.test", "nowhere.test", "ispdb.bench.test")
    cert, key = SCRATCH / "web.crt", SCRATCH / "web.key"
    cert.write_bytes(b"".join(b.bytes() for b in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    web = WebServer(pki.server_context((str(cert), str(key))))
    try:
        domain = "nowhere.test"
        # The domain exists, with nothing for mail; the ISPDB host points here.
        records = [[domain, "TXT", ["v=spf1 -all"]], ["ispdb.bench.test", "A", ["127.0.0.1"]]]
        hung = []
        if hanging:
            hung = [domain, f"imap.{domain}"]
            hung += [f"{s}._tcp.{domain}" for s in ("_imaps", "_imap", "_submissions", "_submission")]
            records.append([f"autoconfig.{domain}", "A", ["127.0.0.1"]])
            web.routes["/mail/config-v1.1.xml"] = hang
            web.routes[f"/v1.1/{domain}"] = hang
        dns = ChildDNS(records, hung)
        try:
            config = _config(dns, pki, web.port)
            config.ispdb_url = web.url("ispdb.bench.test", "/v1.1/")
            started = time.monotonic()
            result = cascade.discover(domain, config)
            elapsed = time.monotonic() - started
        finally:
            first_seen = dns.stop()
        firsts = {
            "mx": first_seen.get(domain),
            "srv": first_seen.get(f"_submissions._tcp.{domain}"),
            "autoconfig": first_seen.get(f"autoconfig.{domain}"),
            "ispdb": first_seen.get("ispdb.bench.test"),
        }
        asked = [t for t in firsts.values() if t is not None]
        spread = max(asked) - min(asked) if asked else 0.0
        statuses = ", ".join(f"{r.source} {r.status}" for r in result.reports)
    finally:
        web.stop()
    label = "every source hangs" if hanging else "nothing exists (all fail fast, guessing included)"
    row = (
        f"| unknown domain, {label} | {elapsed:.2f} s | {len(asked)} sources first asked within "
        f"{spread * 1000:.1f} ms | under {config.deadline:.0f} s |"
    )
    return row, statuses


def run(runs: int) -> str:
    pki = TestPKI()
    try:
        rows = known_domains(runs)
        rows += custom_domain_by_mx(runs, pki)
        fast, fast_statuses = unknown_domain(pki, hanging=False)
        slow, slow_statuses = unknown_domain(pki, hanging=True)
    finally:
        pki.cleanup()
    machine = f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    lines = [
        f"Recorded by `make bench-autodetect` (bench/autodetect.py) on {time.strftime('%Y-%m-%d')}, "
        f"{machine}; every server is local (DNS and HTTPS on 127.0.0.1), so a DNS round trip "
        "here is far shorter than on the Internet.",
        "",
        "| case | median ms | p99 ms | max ms | target |",
        "| --- | ---: | ---: | ---: | --- |",
        *rows,
        "",
        "| full cascade | elapsed | parallelism | target |",
        "| --- | ---: | --- | --- |",
        fast,
        slow,
        "",
        f"Sources when nothing exists: {fast_statuses}.",
        "",
        f"Sources when everything hangs: {slow_statuses}.",
    ]
    return "\n".join(lines)


def _replace_section(text: str, head: str, body: str) -> str:
    block = f"{head}\n\n{body.strip()}\n"
    if head not in text:
        return text.rstrip("\n") + "\n\n" + block
    before, _, rest = text.partition(head)
    cut = rest.find("\n## ")
    after = rest[cut + 1 :] if cut >= 0 else ""
    return before + block + ("\n" + after if after else "")


def write(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    path.write_text(_replace_section(text, "## Autodetection", section))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="record the results in bench/RESULTS.md")
    args = parser.parse_args()
    section = run(args.runs)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
