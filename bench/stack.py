"""The app as people run it, for the benchmarks that watch it from outside: a web
process and a Celery worker process on scratch storage, reached over loopback HTTP.

Tiers:
- `default`: what `make run` starts with nothing configured: SQLite and the file broker
  under a scratch VAR_DIR (the developer's var/ is untouched), uvicorn in one process,
  a worker with beat.
- `postgres`: PostgreSQL (a scratch database, dropped afterwards) and Redis (a spare,
  empty database number, flushed afterwards), gunicorn with uvicorn workers, DEBUG=0
  and the production settings, as the compose file runs it. Plain http on loopback, so
  the HTTPS redirect and the secure cookie flags are off.

Nothing here imports Django: the benchmark talks to the app the way a browser does.
"""

import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_BASE_URL", "redis://127.0.0.1:6379")
# BENCH_REDIS_DB=<n> names the one to use (on a shared Redis, the one you were given).
SPARE_REDIS_DBS = [int(os.environ["BENCH_REDIS_DB"])] if os.environ.get("BENCH_REDIS_DB") else range(9, 16)
GENEROUS = "100000"
TIERS = ("default", "postgres")
TIER_LABELS = {
    "default": "default tier: SQLite + file broker, uvicorn (1 process), worker with beat",
    "postgres": "PostgreSQL + Redis, gunicorn -k uvicorn_worker.UvicornWorker, DEBUG=0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_fd_limit(wanted: int = 65536) -> int:
    """Lift this process's soft limit on open files (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _scratch_postgres() -> tuple[str, str]:
    import psycopg

    name = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _spare_redis() -> str:
    """The first empty database number in 9-15: the benchmark flushes it at the end, so
    it must hold nothing of anyone else's."""
    import redis

    for number in SPARE_REDIS_DBS:
        url = f"{REDIS_BASE_URL}/{number}"
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            if client.dbsize() == 0:
                return url
        finally:
            client.close()
    raise RuntimeError(f"no empty Redis database among {list(SPARE_REDIS_DBS)} at {REDIS_BASE_URL}")


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    finally:
        client.close()


class App:
    """Web and worker processes of one tier; use as a context manager."""

    def __init__(
        self,
        tier: str = "default",
        env: dict | None = None,
        web_workers: int = 2,
        access_log: bool = False,
        worker: bool = True,
    ):
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}")
        self.tier = tier
        self.web_workers = web_workers
        self.access_log = access_log
        self.with_worker = worker
        self.scratch = Path(tempfile.mkdtemp(prefix=f"bench-{tier}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_log = self.scratch / "web.log"
        self.worker_log = self.scratch / "worker.log"
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self._pg_name = self._redis_url = None
        self.env = self._environment(env or {})

    def _environment(self, extra: dict) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "DEBUG"))
        }
        env.update(
            VAR_DIR=str(self.scratch),
            DATABASE_URL=f"sqlite:///{self.scratch / 'db.sqlite3'}",
            MAIL_ALLOWED_PRIVATE_HOSTS="127.0.0.1",
            # No lookup may leave the machine: no ISPDB, and DNS_NAMESERVERS is set by
            # every benchmark to its loopback DNS server.
            AUTOCONFIG_ISPDB_URL="",
            # One person runs dozens of tests and sign-ins here: lift the limits.
            MAIL_TEST_RATE_PER_USER=GENEROUS,
            MAIL_TEST_RATE_PER_HOST=GENEROUS,
            MAIL_TEST_RATE_PER_LOGIN=GENEROUS,
            MAIL_AUTH_FAILURE_LIMIT=GENEROUS,
            SIGNUP_RATE_PER_IP=GENEROUS,
            LOGIN_FAILURE_LIMIT=GENEROUS,
            LOG_LEVEL="WARNING",
            # The loopback SMTP servers never deliver: "Connected" is the login test alone.
            MAIL_ROUND_TRIP_ON_FIRST_TEST="0",
            PYTHONUNBUFFERED="1",
        )
        if self.tier == "postgres":
            from cryptography.fernet import Fernet

            self._pg_name, env["DATABASE_URL"] = _scratch_postgres()
            self._redis_url = env["REDIS_URL"] = _spare_redis()
            env.update(
                DEBUG="0",
                SECRET_KEY=secrets.token_urlsafe(50),
                CREDENTIALS_KEYS=Fernet.generate_key().decode(),
                ALLOWED_HOSTS="127.0.0.1,localhost",
                SECURE_SSL_REDIRECT="0",
                SESSION_COOKIE_SECURE="0",
                CSRF_COOKIE_SECURE="0",
                SECURE_HSTS_SECONDS="0",
                STATIC_ROOT=str(self.scratch / "static"),
            )
        env.update(extra)
        return env

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=300)

    def web_command(self) -> list[str]:
        if self.tier == "default":
            # `make run`'s flags, but for --reload: the process timed is the server itself.
            command = [sys.executable, "-m", "uvicorn", "emailcenter.asgi:application",
                       "--host", "127.0.0.1", "--port", str(self.port),
                       "--lifespan", "off", "--timeout-graceful-shutdown", "1"]  # fmt: skip
            return command + ([] if self.access_log else ["--no-access-log"])
        command = [sys.executable, "-m", "gunicorn", "emailcenter.asgi:application",
                   "-k", "uvicorn_worker.UvicornWorker", "-b", f"127.0.0.1:{self.port}",
                   "-w", str(self.web_workers), "--graceful-timeout", "3"]  # fmt: skip
        return command + (["--access-logfile", "-"] if self.access_log else [])

    def worker_command(self) -> list[str]:
        command = [sys.executable, "-m", "celery", "-A", "emailcenter", "worker", "--loglevel", "INFO"]
        return command + (["--beat"] if self.tier == "default" else [])

    def start(self) -> "App":
        try:
            self.manage("migrate", "--noinput", "-v0")
            if self.env.get("DEBUG") == "0":
                self.manage("collectstatic", "--noinput", "-v0")
            if self.with_worker:
                self.worker = self._spawn(self.worker_command(), self.worker_log)
            self.web = self._spawn(self.web_command(), self.web_log)
            self._wait_for_web()
            if self.worker is not None:
                self._wait_for_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, command: list[str], log_path: Path) -> subprocess.Popen:
        with open(log_path, "ab") as log:
            return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def _wait_for_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"web process did not start:\n{self.log('web')[-3000:]}")

    def _wait_for_worker(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log("worker"):
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log('worker')[-3000:]}")
            time.sleep(0.1)

    def log(self, which: str) -> str:
        path = self.web_log if which == "web" else self.worker_log
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def serving_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn itself, or gunicorn's workers."""
        if self.tier == "default":
            return [self.web.pid]
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the app's database from outside (sql with %s placeholders)."""
        if self._pg_name is None:
            import sqlite3

            conn = sqlite3.connect(f"file:{self.scratch / 'db.sqlite3'}?mode=ro", uri=True, timeout=10)
            try:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def database_connections(self, pid: int) -> int:
        """Database connections the process holds: its open SQLite database files, or
        the sessions on the scratch PostgreSQL database."""
        if self._pg_name is None:
            database = str(self.scratch / "db.sqlite3")
            links = []
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    continue  # closed meanwhile
            return links.count(database)
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            # Every session on the scratch database: callers make sure no other process holds one.
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self._pg_name,))
            return row.fetchone()[0]

    def stop(self) -> None:
        for proc in (self.web, self.worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in (self.web, self.worker):
            if proc is None:
                continue
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.web = self.worker = None
        if self._pg_name:
            _drop_postgres(self._pg_name)
            self._pg_name = None
        if self._redis_url:
            _flush_redis(self._redis_url)
            self._redis_url = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> "App":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def proc_status(pid: int) -> dict:
    """RSS (MB), threads and open file descriptors of a process, and its CPU seconds."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "cpu_s": (int(stat[11]) + int(stat[12])) / ticks,  # utime + stime
    }
