"""The production stack without Docker: gunicorn with uvicorn workers (DEBUG=0), two Celery worker
processes and beat, on this machine's PostgreSQL and Redis, driven by the browser.
Runs on the PostgreSQL + Redis tier (DATABASE_URL and REDIS_URL set)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.test_flows import PASSWORD, fill_connect_form, sign_up
from tests.conftest import GENEROUS, ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, database_url: str, pki, folder: Path):
        self.folder = folder
        self.port = _free_port()
        queue = f"stack-{uuid.uuid4().hex[:8]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DEBUG": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "CREDENTIALS_KEYS": ",".join(settings.CREDENTIALS_KEYS),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "STATIC_ROOT": str(folder / "static"),
            "VAR_DIR": str(folder),
            "CELERY_QUEUE": queue,
            "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
            "SSL_CERT_FILE": pki.ca_file,
            "MAIL_LIMITS_NAMESPACE": queue,
            "MAIL_TEST_RATE_PER_HOST": str(GENEROUS),
            "LOG_LEVEL": "INFO",
            "MAIL_REAPER_INTERVAL": "2",
            # Its aiosmtpd delivers nowhere: the round trip has its own real-delivery tests.
            "MAIL_ROUND_TRIP_ON_FIRST_TEST": "0",
        }
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.procs: dict[str, subprocess.Popen] = {}
        worker_class = "uvicorn_worker.UvicornWorker"
        self._start("web", "-m", "gunicorn", "emailcenter.asgi:application", "-k", worker_class,
                    "-b", f"127.0.0.1:{self.port}", "-w", "2")  # fmt: skip
        for name in ("worker1", "worker2"):
            self._start(
                name, "-m", "celery", "-A", "emailcenter", "worker", "-n", f"{name}@%h", "--loglevel", "INFO"
            )
        self._start("beat", "-m", "celery", "-A", "emailcenter", "beat", "--loglevel", "INFO",
                    "--schedule", str(folder / "beat-schedule"))  # fmt: skip
        self._wait()

    def _start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = all(" ready." in self.log(n) for n in ("worker1", "worker2"))
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=1)
            except OSError:
                ready = False
            if ready:
                return
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited:\n{self.log(name)[-2000:]}")
            time.sleep(0.3)
        pytest.fail("the stack did not start")

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def stack(test_database_url, pki, tmp_path):
    if not (settings.REDIS_URL and "postgres" in test_database_url):
        pytest.skip("the production stack runs on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")
    running = Stack(test_database_url, pki, tmp_path)
    yield running
    running.stop()


def test_the_production_stack_connects_a_mailbox(watched, stack, dovecot, smtp_server):
    name = dovecot.unique_username("stack")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    app = f"http://127.0.0.1:{stack.port}"
    sign_up(watched, app, username="stack-user")
    fill_connect_form(watched.page, name, smtp.port, "starttls", dovecot.port_ssl)
    fetched = []  # the page's own fetches of its status partial: its stream brings it
    watched.page.on(
        "request", lambda r: fetched.append(r.url) if "/status/" in r.url and "/live/" not in r.url else None
    )
    watched.page.click("text=Connect and test")
    try:
        watched.page.wait_for_selector(".badge.connected")
    except Exception:
        logs = "\n".join(f"--- {n}\n{stack.log(n)[-1500:]}" for n in ("web", "worker1", "worker2"))
        raise AssertionError(
            f"not connected; page:\n{watched.page.inner_text('main')[:1500]}\n{logs}"
        ) from None
    assert watched.page.inner_text(".sent-folder") == "Sent"
    assert fetched == []  # every step and the result came in the stream's events (live/partial.py)
    watched.shot("stack-connected")
    # Two worker processes took part in the cluster, and beat scheduled the reaper.
    assert all(" ready." in stack.log(n) for n in ("worker1", "worker2"))
    deadline = time.monotonic() + 20
    while "reap-stuck-tests" not in stack.log("beat") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "reap-stuck-tests" in stack.log("beat")
