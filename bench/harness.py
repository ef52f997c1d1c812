"""Shared set-up for the worker benchmarks: a scratch database and broker, a real
Celery worker process, slow local servers, and writing results to RESULTS.md.

Import this before Django: it points the settings at a temporary VAR_DIR (SQLite
and the file broker) unless BENCH_DATABASE_URL / BENCH_REDIS_URL are given.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = Path(tempfile.mkdtemp(prefix="bench-"))
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
GENEROUS = "100000"
ENV = {
    "VAR_DIR": str(SCRATCH),
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{SCRATCH / 'db.sqlite3'}"),
    "CELERY_QUEUE": QUEUE,
    "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
    # The benchmark runs hundreds of tests for one user and one host: lift the limits.
    "MAIL_TEST_RATE_PER_USER": GENEROUS,
    "MAIL_TEST_RATE_PER_HOST": GENEROUS,
    "MAIL_TEST_RATE_PER_LOGIN": GENEROUS,
    "MAIL_AUTH_FAILURE_LIMIT": GENEROUS,
    "MAIL_LIMITS_NAMESPACE": QUEUE,
    "LOG_LEVEL": "WARNING",
}
if os.environ.get("BENCH_REDIS_URL"):
    ENV["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
else:
    os.environ.pop("REDIS_URL", None)
os.environ.update(ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)


def delayed(handler, seconds: float):
    """A server that waits before its greeting, like a busy or tarpitting one."""

    def run(conn):
        time.sleep(seconds)
        handler(conn)

    return run


class Worker:
    """A real `celery worker` process on the scratch database and queue."""

    def __init__(self, *args: str, extra_env: dict | None = None):
        self.log_path = SCRATCH / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {**os.environ, **ENV, "SECRET_KEY": settings.SECRET_KEY, **(extra_env or {})}
        env["CREDENTIALS_KEYS"] = ",".join(settings.CREDENTIALS_KEYS)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "emailcenter",
            "worker",
            "--queues",
            QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
            *args,
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while " ready." not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log()[-2000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def peak_rss_mb(self) -> float:
        """VmHWM of the worker process (the threads pool runs everything in it)."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return float("nan")
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def header() -> str:
    return f"Recorded {date.today().isoformat()} on {os.cpu_count()} cores ({sys.platform}), Python {sys.version.split()[0]}."


def write_section(head: str, body: str) -> None:
    """Replace `## head` in bench/RESULTS.md (or append it), leaving other sections alone."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"## {head}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(head)}\n.*?(?=^## |\Z)", re.M | re.S)
    text = (
        pattern.sub(lambda _: block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    )
    path.write_text(text)
