"""Concurrency: 200 connection tests at once against servers that wait 1 s before greeting.

Our default worker (threads pool, CELERY_WORKER_CONCURRENCY=200, one step writer)
against Celery's default prefork pool with 2 processes running the same blocking
probes, in the same run. Time = first enqueue to last test final.

    .venv/bin/python bench/concurrency.py [--tests 200] [--baseline-tests 200] [--write]
"""

import argparse
import statistics
import time

from harness import Worker, delayed, header, percentile, write_section  # noqa: I001 (sets up Django)

from django.contrib.auth.models import User

from accounts.models import Mailbox
from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP
from tests.servers.raw import RawServer


def _mailboxes(count: int, smtp_port: int, imap_port: int) -> list[Mailbox]:
    user, _ = User.objects.get_or_create(username="bench")
    Mailbox.objects.filter(user=user).delete()
    boxes = []
    for i in range(count):
        box = Mailbox(
            user=user,
            email=f"b{i}@example.test",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            imap_host="127.0.0.1",
            imap_port=imap_port,
            imap_security="none",
        )
        box.set_password("bench-password")
        boxes.append(box)
    return Mailbox.objects.bulk_create(boxes)


def run_once(label: str, worker_args: list[str], count: int, smtp_port: int, imap_port: int) -> dict:
    boxes = _mailboxes(count, smtp_port, imap_port)
    worker = Worker(*worker_args)
    try:
        started = time.monotonic()
        tests = [flows.start_test(box) for box in boxes]
        enqueued = time.monotonic() - started
        ids = [t.pk for t in tests]
        while True:
            done = ConnectionTest.objects.filter(pk__in=ids, status__in=["connected", "failed"]).count()
            if done == count:
                break
            if time.monotonic() - started > 900:
                raise RuntimeError(f"{label}: only {done} of {count} finished")
            time.sleep(0.05)
        total = time.monotonic() - started
        rows = ConnectionTest.objects.filter(pk__in=ids)
        durations = [(t.finished_at - t.created_at).total_seconds() for t in rows]
        statuses = {s: rows.filter(status=s).count() for s in ("connected", "failed")}
        rss = worker.peak_rss_mb()
    finally:
        worker.stop()
    return {
        "label": label,
        "count": count,
        "total": total,
        "enqueue": enqueued,
        "p50": statistics.median(durations),
        "p95": percentile(durations, 0.95),
        "max": max(durations),
        "statuses": statuses,
        "rss": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--baseline-tests", type=int, default=200)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before each greeting")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()

    smtp = RawServer(delayed(FakeSMTP(), args.delay))
    imap = RawServer(delayed(FakeIMAP(), args.delay))
    try:
        ours = run_once("ours: threads pool, default settings", [], args.tests, smtp.port, imap.port)
        base = run_once(
            "baseline: prefork pool, 2 processes",
            ["--pool", "prefork", "--concurrency", "2"],
            args.baseline_tests,
            smtp.port,
            imap.port,
        )
    finally:
        smtp.stop()
        imap.stop()

    per_test_ours = ours["total"] / ours["count"]
    per_test_base = base["total"] / base["count"]
    lines = [
        header(),
        f"Servers wait {args.delay:g} s before their greeting; SMTP and IMAP both answer, then log in.",
        "",
        "| worker | tests | all done (s) | per test (s) | test p50 / p95 / max (s) | results | worker peak RSS |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for r in (ours, base):
        lines.append(
            f"| {r['label']} | {r['count']} | {r['total']:.2f} | {r['total'] / r['count']:.3f} | "
            f"{r['p50']:.2f} / {r['p95']:.2f} / {r['max']:.2f} | "
            f"{r['statuses']['connected']} connected, {r['statuses']['failed']} failed | {r['rss']:.0f} MB |"
        )
    lines += [
        "",
        f"Throughput ratio (time per test, baseline / ours): **{per_test_base / per_test_ours:.1f}x** "
        f"(target 20x). Every one of {ours['count']} tests finished within "
        f"{ours['total']:.2f} s (target 5 s).",
    ]
    table = "\n".join(lines)
    print(table)
    print(f"enqueue: ours {ours['enqueue']:.2f}s, baseline {base['enqueue']:.2f}s")
    if args.write:
        write_section("Concurrency", table)


if __name__ == "__main__":
    main()
