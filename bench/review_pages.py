"""Benchmark the admin review pages on 100,000 failed tests.

    .venv/bin/python bench/review_pages.py [--rows 100000] [--write]

Seeds a scratch database (SQLite under a temporary folder by default, or the
database named by BENCH_DATABASE_URL, which it empties first), then times the
failed-connections list and the grouped view through Django's test client, with
their query counts. --write records the table in bench/RESULTS.md under
"Review pages", leaving other sections alone.
"""

import argparse
import atexit
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(tempfile.mkdtemp(prefix="bench-review-"))
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = str(SCRATCH)
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{SCRATCH / 'bench.sqlite3'}")
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["REVIEW_TRENDS_CACHE_SECONDS"] = "0"  # time the database work, not the cache
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Mailbox  # noqa: E402
from diagnostics.models import ConnectionTest, TestError  # noqa: E402
from review.models import Review  # noqa: E402
from core.roles import ADMIN, grant  # noqa: E402

PROVIDERS = ["zoho", "gmx", "yahoo", "icloud", "fastmail", "ovh", "ionos", ""]
CODES = [
    "smtp_auth",
    "imap_auth",
    "timeout",
    "ssl",
    "connection_refused",
    "host_unreachable",
    "no_sent_folder",
]
REASONS = ["", "", "bad_credentials", "imap_disabled", "wrong_port", "cert_expired"]
BATCH = 5000


def seed(rows: int) -> None:
    rng = random.Random(5)
    call_command("flush", interactive=False, verbosity=0)
    unusable = "!"  # Django's marker for "no password"
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"user{i}", password=unusable) for i in range(max(rows // 50, 1))
    )
    mailboxes = Mailbox.objects.bulk_create(
        Mailbox(
            user=users[i % len(users)],
            email=f"person{i}@{(PROVIDERS[i % len(PROVIDERS)] or 'own-domain')}.example",
            smtp_host="smtp.example.net",
            imap_host="imap.example.net",
            password_encrypted="x",  # noqa: S106 (never decrypted here)
            provider_id=PROVIDERS[i % len(PROVIDERS)],
        )
        for i in range(max(rows // 5, 1))
    )
    now = timezone.now()
    for start in range(0, rows, BATCH):
        tests = []
        for _ in range(start, min(start + BATCH, rows)):
            mailbox = rng.choice(mailboxes)
            failed = rng.random() < 0.85
            tests.append(
                ConnectionTest(
                    mailbox=mailbox,
                    status="failed" if failed else "connected",
                    provider_id=mailbox.provider_id,
                    settings={"email": mailbox.email, "smtp": {"host": "smtp.example.net", "port": 587}},
                )
            )
        tests = ConnectionTest.objects.bulk_create(tests)
        errors, reviews, stamps = [], [], []
        for test in tests:
            stamps.append((test.pk, now - timedelta(minutes=rng.randrange(90 * 24 * 60))))
            if test.status != "failed":
                continue
            for code in rng.sample(CODES, rng.choice([1, 1, 2])):
                errors.append(TestError(test=test, code=code, reason=rng.choice(REASONS), protocol="imap"))
            if rng.random() < 0.3:
                reviews.append(Review(test=test))
        TestError.objects.bulk_create(errors)
        Review.objects.bulk_create(reviews)
        # created_at is auto_now_add: spread the tests over 90 days afterwards.
        ConnectionTest.objects.bulk_update(
            [ConnectionTest(pk=pk, created_at=when) for pk, when in stamps], ["created_at"], batch_size=1000
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as a live database would have


PAGES = [
    ("list, no filter", "/review/", {}),
    ("list, page 500", "/review/", {"page": "500"}),
    ("list, code + reason", "/review/", {"code": "imap_auth", "reason": "imap_disabled"}),
    ("list, provider + not reviewed", "/review/", {"provider": "zoho", "reviewed": "no"}),
    ("list, last 7 days", "/review/", {"since": (timezone.localdate() - timedelta(days=6)).isoformat()}),
    ("list, search @domain", "/review/", {"q": "@gmx.example"}),
    ("list, search part of address", "/review/", {"q": "person123"}),
    (
        "list, all filters",
        "/review/",
        {"code": "timeout", "provider": "gmx", "reviewed": "no", "q": "person12"},
    ),
    ("grouped, 14 days, code+provider", "/review/grouped/", {}),
    ("grouped, 90 days, code+provider", "/review/grouped/", {"days": "90"}),
    ("grouped, 90 days, provider", "/review/grouped/", {"days": "90", "by": "provider"}),
]


def measure(client: Client, url: str, query: dict, runs: int) -> tuple[float, float, int]:
    client.get(url, query)  # warm caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, query, response.status_code)
    return statistics.median(times), max(times), len(queries)


def run(rows: int, runs: int) -> str:
    started = time.perf_counter()
    seed(rows)
    seeded = time.perf_counter() - started
    admin = get_user_model().objects.create_user("bench-admin")
    grant(admin, ADMIN)
    client = Client()
    client.force_login(admin)
    failed = ConnectionTest.objects.filter(status="failed").count()
    lines = [
        f"{connection.vendor}, {ConnectionTest.objects.count():,} tests ({failed:,} failed), "
        f"{TestError.objects.count():,} errors, seeded in {seeded:.0f} s; median of {runs} runs.",
        "",
        "| page | median ms | max ms | queries |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, url, query in PAGES:
        median, worst, count = measure(client, url, query, runs)
        lines.append(f"| {label} | {median:.0f} | {worst:.0f} | {count} |")
    return "\n".join(lines)


def _replace_section(text: str, head: str, body: str, level: str) -> str:
    """Put `head` + `body` in place of that section (up to the next heading of its level)."""
    block = f"{head}\n\n{body.strip()}\n"
    if head not in text:
        return text.rstrip("\n") + "\n\n" + block
    before, _, rest = text.partition(head)
    cut = rest.find(f"\n{level} ")
    after = rest[cut + 1 :] if cut >= 0 else ""
    return before + block + ("\n" + after if after else "")


def write(section: str) -> None:
    """Record under "## Review pages" / "### <database>", leaving everything else alone."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    head = "## Review pages"
    if head not in text:
        intro = "Recorded by `make bench-review` (bench/review_pages.py); one subsection per database."
        text = _replace_section(text, head, intro, "##")
    before, _, rest = text.partition(head)
    cut = rest.find("\n## ")
    mine, after = (rest[:cut], rest[cut:]) if cut >= 0 else (rest, "")
    mine = _replace_section(mine, f"### {connection.vendor}", section, "###")
    path.write_text(before + head + mine.rstrip("\n") + "\n" + after)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="record the results in bench/RESULTS.md")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    section = run(args.rows, args.runs)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
