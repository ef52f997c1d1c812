"""Benchmark the fleet view and the mailbox page's health history at scale.

    .venv/bin/python bench/fleet.py [--mailboxes 100000] [--checks 10000000] [--runs 5] [--write]

Needs PostgreSQL (BENCH_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres):
a scratch database is created, seeded with bulk inserts (checks with generate_series, so
10 million rows take minutes, not hours) and dropped. Times the admins' fleet view
(filters, search, a deep page, the CSV export) and one mailbox page with 30 days of
hourly checks through Django's test client, with their query counts. --write records
the table in bench/RESULTS.md under "Fleet view".
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _scratch_database() -> tuple[str, str]:
    import psycopg

    name = f"bench_fleet_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


PROVIDERS = ["gmail", "outlook", "zoho", "gmx", "yahoo", "icloud", "fastmail", ""]


def seed(mailboxes: int, checks: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from accounts.models import Mailbox

    timings = {}
    started = time.perf_counter()
    User = get_user_model()
    users = User.objects.bulk_create(
        (
            User(username=f"user{i}", password="!", email=f"user{i}@people.example")
            for i in range(mailboxes // 2)
        ),
        batch_size=5000,
    )
    batch = []
    for i in range(mailboxes):
        provider = PROVIDERS[i % len(PROVIDERS)]
        batch.append(
            Mailbox(
                user=users[i % len(users)],
                email=f"person{i}@{provider or 'own-domain'}.example",
                smtp_host="smtp.example.net",
                imap_host="imap.example.net",
                password_encrypted="x",  # noqa: S106 (never decrypted here)
                provider_id=provider,
                status="connected",
            )
        )
        if len(batch) == 5000:
            Mailbox.objects.bulk_create(batch)
            batch = []
    Mailbox.objects.bulk_create(batch)
    timings["mailboxes"] = time.perf_counter() - started
    with connection.cursor() as cur:
        started = time.perf_counter()
        # 80% connected, 10% degraded, 8% disconnected, 2% paused.
        cur.execute(
            """
            INSERT INTO monitoring_health (mailbox_id, state, "offset", next_check_at, failures, last_check_at,
                state_changed_at, error_code, error_reason, transient)
            SELECT id,
                   CASE WHEN id % 50 = 0 THEN 'paused' WHEN id % 25 < 2 THEN 'disconnected'
                        WHEN id % 10 = 3 THEN 'degraded' ELSE 'connected' END,
                   id % 3600, now() + (id % 3600) * interval '1 second', 0, now() - interval '10 minutes',
                   now() - (id % 1000) * interval '1 hour',
                   CASE WHEN id % 25 < 2 THEN (ARRAY['smtp_auth','imap_auth','timeout'])[1 + id % 3] ELSE '' END,
                   CASE WHEN id % 25 < 2 THEN (ARRAY['wrong_credentials','token_revoked','connect_timeout'])[1 + id % 3]
                        ELSE '' END,
                   false
            FROM accounts_mailbox
            """
        )
        cur.execute("SELECT min(id), count(*) FROM accounts_mailbox")
        first, n = cur.fetchone()
        # Checks: round-robin over mailboxes, one per mailbox per hour going back in time;
        # about 3% failed. In chunks so that one statement never holds everything.
        chunk = 1_000_000
        for start in range(0, checks, chunk):
            cur.execute(
                """
                INSERT INTO monitoring_check (mailbox_id, state, ok, transient, error_code, error_reason,
                    server_reply, ms, created_at)
                SELECT %s + (g %% %s),
                       CASE WHEN g %% 33 = 0 THEN 'disconnected' ELSE 'connected' END,
                       g %% 33 <> 0, false,
                       CASE WHEN g %% 33 = 0 THEN 'imap_auth' ELSE '' END,
                       CASE WHEN g %% 33 = 0 THEN 'wrong_credentials' ELSE '' END,
                       '', 900 + g %% 400,
                       now() - (g / %s) * interval '1 hour' - (g %% 3600) * interval '1 second'
                FROM generate_series(%s, %s) AS g
                """,
                [first, n, n, start, min(start + chunk, checks) - 1],
            )
        cur.execute(
            """
            INSERT INTO monitoring_alert (user_id, mailbox_id, kind, created_at, skipped)
            SELECT m.user_id, m.id, 'down', now() - (m.id % 30) * interval '1 day', ''
            FROM accounts_mailbox m WHERE m.id % 25 < 2
            """
        )
        timings["checks"] = time.perf_counter() - started
        started = time.perf_counter()
        cur.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
    return timings


PAGES = [
    ("fleet, no filter", "/health/fleet/", {}),
    ("fleet, page 500", "/health/fleet/", {"page": "500"}),
    ("fleet, disconnected", "/health/fleet/", {"state": "disconnected"}),
    ("fleet, provider + code", "/health/fleet/", {"provider": "zoho", "code": "imap_auth"}),
    ("fleet, search @domain", "/health/fleet/", {"q": "@gmx.example"}),
    ("fleet, search part of address", "/health/fleet/", {"q": "person1234"}),
    ("CSV export, disconnected", "/health/fleet/", {"state": "disconnected", "format": "csv"}),
]


def measure(client, url, query, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url, query)
        if getattr(response, "streaming", False):
            size = sum(len(chunk) for chunk in response.streaming_content)
        else:
            size = len(response.content)
        assert response.status_code == 200, (url, query, response.status_code)
        return size

    get()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            size = get()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), len(queries), size


def run(mailboxes: int, checks: int, runs: int) -> str:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from accounts.models import Mailbox
    from monitoring.models import Check
    from core.roles import ADMIN, grant

    timings = seed(mailboxes, checks)
    admin = get_user_model().objects.create_user("bench-admin")
    grant(admin, ADMIN)
    client = Client()
    client.force_login(admin)
    total = Check.objects.count()
    lines = [
        f"PostgreSQL, {Mailbox.objects.count():,} mailboxes, {total:,} checks (seeded: mailboxes "
        f"{timings['mailboxes']:.0f} s, checks and health {timings['checks']:.0f} s, ANALYZE "
        f"{timings['analyze']:.0f} s); median of {runs} runs; 2 shared cores.",
        "",
        "| page | median ms | max ms | queries | bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for label, url, query in PAGES:
        median, worst, count, size = measure(client, url, query, runs)
        lines.append(f"| {label} | {median:.0f} | {worst:.0f} | {count} | {size:,} |")
    # One owner's mailbox page, whose mailbox has a check every hour (the strip, uptime, MTTR).
    mailbox = Mailbox.objects.order_by("pk").first()
    owner = Client()
    owner.force_login(mailbox.user)
    median, worst, count, size = measure(owner, f"/mailboxes/{mailbox.pk}/", {}, runs)
    per_box = Check.objects.filter(mailbox=mailbox).count()
    lines.append(
        f"| mailbox page with {per_box:,} checks kept | {median:.0f} | {worst:.0f} | {count} | {size:,} |"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('monitoring_check'))")
        lines += ["", f"monitoring_check with its indexes: {cur.fetchone()[0]}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mailboxes", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    name, url = _scratch_database()
    try:
        os.environ.update(
            {
                "DATABASE_URL": url,
                "ALLOWED_HOSTS": "testserver",
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "emailcenter.settings",
            }
        )
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        body = run(args.mailboxes, args.checks, args.runs)
        print(body)
    finally:
        from django.db import connections

        connections.close_all()
        _drop(name)
    if args.write:
        _write(body)


def _write(body: str) -> None:
    import re
    from datetime import date

    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    head = "## Fleet view (bench/fleet.py)"
    block = f"{head}\n\nRecorded {date.today().isoformat()} on {os.cpu_count()} cores.\n\n{body.strip()}\n"
    pattern = re.compile(rf"^{re.escape(head)}\n.*?(?=^## |\Z)", re.M | re.S)
    text = (
        pattern.sub(lambda _: block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    )
    path.write_text(text)


if __name__ == "__main__":
    main()
