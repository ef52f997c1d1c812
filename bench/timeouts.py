"""Timeouts: silent, drip and flood servers, 50 tests each at once through the real
worker with the default MAIL_PROBE_TIMEOUT / MAIL_PROBE_DEADLINE. Every test must end
within the deadline + 1 s; reports the distribution and the worker's peak RSS.

    .venv/bin/python bench/timeouts.py [--runs 50] [--write]
"""

import argparse
import statistics
import time

from harness import Worker, header, percentile, write_section  # noqa: I001 (sets up Django)

from django.conf import settings
from django.contrib.auth.models import User

from accounts.models import Mailbox
from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.servers.raw import RawServer, drip, flood, silent

CASES = {
    "silent (accepts, never speaks)": silent,
    "drip (one byte a second)": drip(b"220-" + b"x" * 200 + b"\r\n", 1.0),
    "flood (endless continuation lines)": flood(b"250-flooding", 10**8),
}


def run_case(name: str, handler, runs: int) -> dict:
    server = RawServer(handler)
    user, _ = User.objects.get_or_create(username="bench-timeouts")
    Mailbox.objects.filter(user=user).delete()
    boxes = []
    for i in range(runs):
        box = Mailbox(user=user, email=f"t{i}@example.test", smtp_host="127.0.0.1", smtp_port=server.port,
                      smtp_security="starttls", imap_host="127.0.0.1", imap_port=server.port,
                      imap_security="starttls")  # fmt: skip
        box.set_password("timeouts-pw")
        boxes.append(box)
    boxes = Mailbox.objects.bulk_create(boxes)
    worker = Worker()
    try:
        ids = [flows.start_test(box).pk for box in boxes]
        started = time.monotonic()
        while ConnectionTest.objects.filter(pk__in=ids, status__in=["connected", "failed"]).count() < runs:
            if time.monotonic() - started > settings.MAIL_PROBE_DEADLINE * 3 + 60:
                raise RuntimeError(f"{name}: tests did not finish")
            time.sleep(0.2)
        rss = worker.peak_rss_mb()
    finally:
        worker.stop()
        server.stop()
    rows = list(ConnectionTest.objects.filter(pk__in=ids).prefetch_related("errors"))
    durations = [(t.finished_at - t.started_at).total_seconds() for t in rows]
    codes = sorted({f"{e.protocol} {e.code}/{e.reason}" for t in rows for e in t.errors.all()})
    return {"name": name, "durations": durations, "rss": rss, "codes": codes}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    limit = settings.MAIL_PROBE_DEADLINE + 1
    results = [run_case(name, handler, args.runs) for name, handler in CASES.items()]
    lines = [
        header(),
        f"{args.runs} tests at once per server, MAIL_PROBE_TIMEOUT={settings.MAIL_PROBE_TIMEOUT:g} s, "
        f"MAIL_PROBE_DEADLINE={settings.MAIL_PROBE_DEADLINE:g} s (limit {limit:g} s). Duration = worker "
        "start to final status of each test; SMTP and IMAP both talk to the hostile server.",
        "",
        "| server | min s | p50 s | p95 s | max s | within limit | errors seen | worker peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        d = r["durations"]
        within = sum(1 for x in d if x <= limit)
        lines.append(
            f"| {r['name']} | {min(d):.2f} | {statistics.median(d):.2f} | {percentile(d, 0.95):.2f} | "
            f"{max(d):.2f} | {within}/{len(d)} | {'; '.join(r['codes'])} | {r['rss']:.0f} MB |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("Timeouts", table)


if __name__ == "__main__":
    main()
