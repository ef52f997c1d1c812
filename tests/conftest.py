"""Shared fixtures: users and mailboxes, probe settings aimed at loopback servers,
and a real Celery worker process reading the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from diagnostics.net.steps import ProbeConfig

# Shared fixtures, registered once for every folder.
pytest_plugins = [
    "tests.servers.fixtures",
    "tests.mailauth.fixtures",
    "tests.staff_fixtures",
    "tests.diagnostics.net.autodetect.fixtures",
    "tests.diagnostics.net.roundtrip.fixtures",
]

ROOT = Path(__file__).resolve().parent.parent
PROBE_TIMEOUT = 3.0
PROBE_DEADLINE = 8.0
TEST_QUEUE = f"test-{uuid.uuid4().hex[:12]}"
# Limit counters live in the shared cache (Redis in CI): keep each session's apart.
LIMITS_NAMESPACE = f"test-{uuid.uuid4().hex[:12]}"
GENEROUS = 10_000


@pytest.fixture(autouse=True)
def probe_settings(settings, pki):
    """Tests talk to servers on 127.0.0.1 that present certificates from the test CA."""
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.SSL_CERT_FILE = pki.ca_file
    settings.MAIL_PROBE_TIMEOUT = PROBE_TIMEOUT
    settings.MAIL_PROBE_DEADLINE = PROBE_DEADLINE
    settings.MAIL_ROUND_TRIP_ON_FIRST_TEST = False  # the round-trip tests turn it on
    settings.DNS_NAMESERVERS = []
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE
    settings.MAIL_LIMITS_NAMESPACE = LIMITS_NAMESPACE
    if settings.REDIS_URL:  # Redis outlives test runs: keep this session's keys apart
        settings.CACHES = {
            name: {**conf, "KEY_PREFIX": LIMITS_NAMESPACE} for name, conf in settings.CACHES.items()
        }
    settings.MAIL_TEST_RATE_PER_USER = GENEROUS
    settings.MAIL_TEST_RATE_PER_HOST = GENEROUS
    settings.MAIL_TEST_RATE_PER_LOGIN = GENEROUS
    # Many tests sign up and sign in from 127.0.0.1; the throttle tests set their own limits.
    settings.SIGNUP_RATE_PER_IP = GENEROUS
    settings.LOGIN_FAILURE_LIMIT = GENEROUS
    return settings


@pytest.fixture(autouse=True)
def fresh_refused_passwords(monkeypatch):
    """Each test starts with no refused password remembered (core.refused): the cache
    outlives a test, and tests share logins and wrong passwords on 127.0.0.1. App
    processes a test starts share the session's memory among themselves."""
    from core import refused

    scope = uuid.uuid4().hex[:8]
    original = refused._key
    monkeypatch.setattr(
        refused, "_key", lambda host, login, password: f"{original(host, login, password)}:{scope}"
    )


@pytest.fixture(autouse=True)
def broker_state():
    """Each test starts with the outbox believing the broker up (a test that took it down
    must not hold the next test's tasks back)."""
    from core import outbox

    outbox.broker.worked()
    yield
    outbox.broker.worked()


@pytest.fixture(autouse=True)
def guard_tripwire():
    """Fail any test in which app code connects somewhere without going through the guard."""
    from tests.tripwire import Tripwire

    wire = Tripwire()
    wire.install()
    yield wire
    wire.uninstall()
    assert not wire.violations, "\n".join(wire.violations)


@pytest.fixture
def probe_config(pki) -> ProbeConfig:
    return ProbeConfig(
        timeout=PROBE_TIMEOUT,
        deadline=PROBE_DEADLINE,
        allowed_private=["127.0.0.1"],
        ca_file=pki.ca_file,
    )


@pytest.fixture
def make_user(django_user_model):
    def make(username: str = "alice", password: str = "correct horse battery") -> object:
        return django_user_model.objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def client_a(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def make_mailbox():
    from accounts.models import Mailbox

    def make(owner, email: str = "alice@example.test", password: str = "secret", **fields) -> Mailbox:
        values = {
            "smtp_host": "127.0.0.1",
            "smtp_port": 2525,
            "smtp_security": "starttls",
            "imap_host": "127.0.0.1",
            "imap_port": 1143,
            "imap_security": "ssl",
        }
        values.update(fields)
        mailbox = Mailbox(user=owner, email=email, **values)
        mailbox.set_password(password)
        mailbox.save()
        return mailbox

    return make


def _test_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log_path: Path):
        self.proc = proc
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def app_env(database_url: str, pki, queue: str = TEST_QUEUE) -> dict[str, str]:
    """The environment of an app process (worker or web) on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_QUEUE": queue,
        "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "SSL_CERT_FILE": pki.ca_file,
        "MAIL_PROBE_TIMEOUT": str(PROBE_TIMEOUT),
        "MAIL_PROBE_DEADLINE": str(PROBE_DEADLINE),
        "MAIL_ROUND_TRIP_ON_FIRST_TEST": "0",
        "CREDENTIALS_KEYS": ",".join(django_settings.CREDENTIALS_KEYS),
        "SECRET_KEY": django_settings.SECRET_KEY,
        "LOG_LEVEL": "DEBUG",
        "MAIL_LIMITS_NAMESPACE": LIMITS_NAMESPACE,
        "CACHE_KEY_PREFIX": LIMITS_NAMESPACE,
        "MAIL_TEST_RATE_PER_USER": str(GENEROUS),
        "MAIL_TEST_RATE_PER_HOST": str(GENEROUS),
        "MAIL_TEST_RATE_PER_LOGIN": str(GENEROUS),
        "MAIL_AUTH_FAILURE_LIMIT": "3",
    }
    if django_settings.REDIS_URL:
        env["REDIS_URL"] = django_settings.REDIS_URL
    return env


def spawn_worker(
    database_url: str, pki, log_path: Path, queue: str = TEST_QUEUE, **env_overrides: str
) -> WorkerProcess:
    """Start a real `celery worker` process on the test database and wait until it is ready."""
    env = {**app_env(database_url, pki, queue), **env_overrides}
    started = log_path.read_text(errors="replace").count(" ready.") if log_path.exists() else 0
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "emailcenter",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        "4",
        "--queues",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "DEBUG",
        "--hostname",
        f"{queue}@%h",
    ]
    with open(log_path, "ab") as log:  # appended: a restarted worker keeps the first one's lines
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = WorkerProcess(proc, log_path)
    deadline = time.monotonic() + 60
    while worker.log().count(" ready.") <= started:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the Celery worker did not start:\n{worker.log()[-3000:]}")
        time.sleep(0.2)
    return worker


class WebProcess(WorkerProcess):
    def __init__(self, proc: subprocess.Popen, log_path: Path, port: int):
        super().__init__(proc, log_path)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def spawn_web(database_url: str, pki, log_path: Path, **env_overrides: str) -> WebProcess:
    """Start a real web process (uvicorn, ASGI, as `make run` does) on the test database
    and wait until it answers."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**app_env(database_url, pki), "ALLOWED_HOSTS": "127.0.0.1,localhost", **env_overrides}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser fixture; never in a real server
    command = [sys.executable, "-m", "uvicorn", "emailcenter.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--lifespan", "off", "--timeout-graceful-shutdown", "1",
               "--forwarded-allow-ips", env.get("TRUSTED_PROXIES", "")]  # fmt: skip
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    web = WebProcess(proc, log_path, port)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{web.url}/login/", timeout=2)
            return web
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                web.stop()
                pytest.fail(f"the web process did not start:\n{web.log()[-3000:]}")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def test_database_url(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return _test_database_url()


@pytest.fixture(scope="session")
def celery_worker(test_database_url, pki, tmp_path_factory):
    """A real `celery worker` process on the test database and the test queue."""
    worker = spawn_worker(test_database_url, pki, tmp_path_factory.mktemp("worker") / "worker.log")
    proc = worker.proc
    yield worker
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Tests of the network core (diagnostics/net: no Django), of the test servers and of the
# import contracts. The storage tier cannot change their outcome: CI runs them once, on
# the default tier, and the PostgreSQL + Redis run skips them with
# `-m "not tier_independent"`. Marked by where they live; a test elsewhere that touches no
# storage says so itself (`pytestmark = pytest.mark.tier_independent`).
TIER_INDEPENDENT = ("tests/architecture/", "tests/diagnostics/net/", "tests/servers/")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(TIER_INDEPENDENT):
            item.add_marker(pytest.mark.tier_independent)
    # Browser tests last: Playwright's sync API keeps an event loop running in the main
    # thread for the rest of the session, where Django then refuses to call async views
    # from sync test code (a real server thread never has one).
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
