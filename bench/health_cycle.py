"""One health-check cycle: every monitored mailbox checked once, against local servers
that wait 1 s before greeting (SMTP and IMAP, plain, then a login).

    .venv/bin/python bench/health_cycle.py [--mailboxes 1000] [--full] [--write]

--full runs the issue's size, 10,000 mailboxes. Every mailbox is made due at once and the
scheduler (schedule.queue_due: batches claimed behind a keyset cursor) queues them; the
cycle ends when the last check is recorded. That is the capacity a real hour needs (real
checks are spread over the interval by their offsets). Measured with one worker process
(the default pool: threads, CELERY_WORKER_CONCURRENCY), then two: cycle time, database
writes per check (PostgreSQL's own counters: rows inserted, updated and deleted, and
commits), and each worker's peak RSS.

Needs PostgreSQL (BENCH_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres;
a scratch database is created and dropped) and uses Redis as the broker when
BENCH_REDIS_URL names an empty database (else the file broker). All mailboxes sit on
one loopback host, so MAIL_HEALTH_PER_HOST is lifted for the capacity figure (--per-host
to keep a cap: then the cap, not the workers, sets the pace).
"""

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _create_db() -> tuple[str, str]:
    import psycopg

    name = f"bench_cycle_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_db(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mailboxes", type=int, default=1000)
    parser.add_argument("--full", action="store_true", help="10,000 mailboxes, the issue's size")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before each greeting")
    parser.add_argument("--per-host", type=int, default=0, help="MAIL_HEALTH_PER_HOST (0: no cap)")
    parser.add_argument("--workers", default="1,2", help="worker process counts to run, e.g. 1,2")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=20,
        help="threads per worker (the default 200 needs max_connections above 100 per worker)",
    )
    parser.add_argument("--write", action="store_true")
    return parser.parse_args()


ARGS = _args()
DB_NAME, DB_URL = _create_db()
os.environ["BENCH_DATABASE_URL"] = DB_URL
os.environ["MAIL_HEALTH_PER_HOST"] = str(ARGS.per_host)
os.environ["MAIL_PROBE_TIMEOUT"] = "20"
os.environ["MAIL_PROBE_DEADLINE"] = "60"
os.environ["CELERY_WORKER_CONCURRENCY"] = str(ARGS.concurrency)

from harness import Worker, delayed, header, write_section  # noqa: E402, I001 (sets up Django)

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Mailbox  # noqa: E402
from monitoring import schedule  # noqa: E402
from monitoring.models import Check, Health  # noqa: E402
from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP  # noqa: E402
from tests.servers.raw import RawServer  # noqa: E402


def seed(count: int, smtp_port: int, imap_port: int) -> None:
    user, _ = User.objects.get_or_create(username="bench", defaults={"email": "bench@example.test"})
    template = Mailbox(user=user)
    template.set_password("bench-password")
    boxes = [
        Mailbox(
            user=user,
            email=f"b{i}@example.test",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            imap_host="127.0.0.1",
            imap_port=imap_port,
            imap_security="none",
            password_encrypted=template.password_encrypted,
            status="connected",
        )
        for i in range(count)
    ]
    Mailbox.objects.bulk_create(boxes, batch_size=2000)
    while schedule.enroll(2000):
        pass


def db_counters() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        commits, ins, upd, dele = cur.fetchone()
    return {"commits": commits, "inserted": ins, "updated": upd, "deleted": dele}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cycle(workers: int, count: int) -> dict:
    Check.objects.all().delete()
    Health.objects.update(next_check_at=timezone.now(), claimed_at=None, state="connected", failures=0)
    procs = [Worker() for _ in range(workers)]
    try:
        time.sleep(1.5)
        before = db_counters()
        cpu_before = sum(cpu_seconds(p.proc.pid) for p in procs)
        started = time.monotonic()
        queued = schedule.queue_due(limit=count)
        queue_s = time.monotonic() - started
        done, beat = 0, time.monotonic()
        while done < count:
            if time.monotonic() - started > 3 * 3600:
                raise RuntimeError(f"only {done} of {count} checks after 3 h")
            time.sleep(0.5)
            done = Check.objects.count()
            if time.monotonic() - beat > 30:  # what beat does: checks given back are queued again
                schedule.queue_due()
                beat = time.monotonic()
        total = time.monotonic() - started
        cpu = sum(cpu_seconds(p.proc.pid) for p in procs) - cpu_before
        load = os.getloadavg()[0]
        time.sleep(1.5)  # PostgreSQL publishes its counters at most once a second
        after = db_counters()
        rss = [p.peak_rss_mb() for p in procs]
    finally:
        for p in procs:
            p.stop()
    ok = Check.objects.filter(ok=True).count()
    from django.db.models import Count

    repeats = (
        Check.objects.values("mailbox_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("mailbox_id", "n")
    )
    if repeats:
        sample = list(repeats[:3])
        print("mailboxes checked more than once:", len(repeats), sample, flush=True)
        for pk, _n in sample[:1]:
            print(
                list(Check.objects.filter(mailbox_id=pk).values_list("created_at", "test_id", "state")),
                flush=True,
            )
    delta = {k: after[k] - before[k] for k in before}
    return {
        "workers": workers,
        "count": count,
        "queued": queued,
        "queue_s": queue_s,
        "total": total,
        "ok": ok,
        "rows_per_check": (delta["inserted"] + delta["updated"] + delta["deleted"]) / count,
        "inserted": delta["inserted"] / count,
        "updated": delta["updated"] / count,
        "commits_per_check": delta["commits"] / count,
        "rss": rss,
        "cpu_ms_per_check": 1000 * cpu / count,
        "load": load,
    }


def main() -> None:
    count = 10_000 if ARGS.full else ARGS.mailboxes
    smtp = RawServer(delayed(FakeSMTP(), ARGS.delay))
    imap = RawServer(delayed(FakeIMAP(), ARGS.delay))
    results = []
    try:
        seed(count, smtp.port, imap.port)
        for n in [int(x) for x in ARGS.workers.split(",")]:
            results.append(cycle(n, count))
            print(results[-1], flush=True)
    finally:
        smtp.stop()
        imap.stop()
        from django.db import connections

        connections.close_all()
        _drop_db(DB_NAME)
    interval = 3600
    lines = [
        header(),
        f"{count:,} mailboxes, all due at once; servers wait {ARGS.delay:g} s before greeting; "
        f"PostgreSQL; MAIL_HEALTH_PER_HOST={ARGS.per_host or 'off'}; default pool (threads), "
        f"{ARGS.concurrency} threads per worker (PostgreSQL's max_connections is 100 here, shared).",
        "",
        "| worker processes | cycle (s) | checks/s | queueing (s) | connected | DB rows written per check "
        "(ins / upd) | commits per check | worker CPU per check | peak RSS per worker | load average |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['workers']} | {r['total']:.1f} | {r['count'] / r['total']:.1f} | {r['queue_s']:.1f} | "
            f"{r['ok']:,} | {r['rows_per_check']:.1f} ({r['inserted']:.1f} / {r['updated']:.1f}) | "
            f"{r['commits_per_check']:.1f} | {r['cpu_ms_per_check']:.0f} ms | "
            f"{', '.join(f'{x:.0f} MB' for x in r['rss'])} | {r['load']:.1f} |"
        )
    if results:
        one = results[0]
        per_10k = one["total"] / one["count"] * 10_000
        lines += [
            "",
            f"One worker: {per_10k:.0f} s per 10,000 checks "
            f"({'measured' if one['count'] == 10_000 else 'extrapolated linearly from ' + format(one['count'], ',')}), "
            f"{100 * per_10k / interval:.0f}% of the 1 h interval.",
        ]
        if len(results) > 1:
            lines.append(f"Two workers / one worker: {results[1]['total'] / one['total']:.2f} of the time.")
        cores = os.cpu_count() or 1
        cpu_bound = one["cpu_ms_per_check"] / 1000 * 10_000 / cores
        lines.append(
            f"CPU floor: {one['cpu_ms_per_check']:.0f} ms of worker CPU per check is {cpu_bound:.0f} s per "
            f"10,000 checks with all {cores} cores free (plus PostgreSQL's share). Two workers halve the "
            "time only while one worker is bound by its threads, not by the machine's CPU."
        )
    table = "\n".join(lines)
    print(table)
    if ARGS.write:
        write_section("Health check cycle (bench/health_cycle.py)", table)


if __name__ == "__main__":
    main()
