"""PostgreSQL restarted under a real web process and worker (a PostgreSQL the test starts
with initdb/pg_ctl on a port of its own; the shared server is never touched): nobody
exits, no page answers 500 afterwards, and tests before and after it end Connected."""

import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import ROOT, app_env, spawn_web, spawn_worker
from tests.core.processes import Visitor, mailbox_id

from .harness import SECRET, USER_PASSWORD, PostgresServer, assert_clean, postgres_binaries, wait_for

BINARIES = postgres_binaries()
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(BINARIES is None, reason="no PostgreSQL server binaries (initdb, pg_ctl)"),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="the PostgreSQL tier's"
    ),
]


@pytest.fixture
def postgres():
    # Not under pytest's folder: the server's user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="fault-pg-"))
    server = PostgresServer(folder, BINARIES)
    try:
        server.init()
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _manage(url: str, pki, *args: str) -> None:
    env = {**app_env(url, pki), "DATABASE_POOL_SIZE": "0"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def _connected(person: Visitor, pk: int):
    page = person.get(f"/mailboxes/{pk}/")
    assert page.status == 200, page.body[-2000:]
    return page if 'class="badge connected"' in page.body else None


def test_a_postgres_restart_stops_nothing_and_tests_still_connect(
    postgres, pki, tmp_path, smtp_server, dovecot
):
    url = postgres.url("fault")
    postgres.createdb("fault")
    _manage(url, pki, "migrate", "--noinput")
    username = f"pg-{uuid.uuid4().hex[:6]}"
    make_user = "from django.contrib.auth.models import User; User.objects.create_user({!r}, password={!r})"
    _manage(url, pki, "shell", "-c", make_user.format(username, USER_PASSWORD))
    queue = f"fault-pg-{uuid.uuid4().hex[:8]}"
    worker = spawn_worker(url, pki, tmp_path / "worker.log", queue=queue)
    web = spawn_web(url, pki, tmp_path / "web.log", CELERY_QUEUE=queue)
    try:
        name = dovecot.unique_username("pgfault")
        dovecot.add_user(name, SECRET, folders=["Sent"])
        smtp = smtp_server(security="starttls", users={name: SECRET})
        person = Visitor(web.port)
        assert person.sign_in(username, USER_PASSWORD).status == 302
        form = {"email": name, "password": SECRET, "smtp_host": "127.0.0.1", "smtp_port": str(smtp.port),
                "smtp_security": "starttls", "imap_host": "127.0.0.1", "imap_port": str(dovecot.port_ssl),
                "imap_security": "ssl"}  # fmt: skip
        created = person.post("/mailboxes/new/", form)
        assert created.status == 302, created.body[-2000:]
        pk = mailbox_id(created.headers["Location"])
        assert wait_for(lambda: _connected(person, pk), every=0.5), worker.log()[-3000:]

        postgres.restart()
        time.sleep(2 * settings.HEARTBEAT_SECONDS)  # the relay and heartbeat meet the restart
        assert worker.proc.poll() is None and web.proc.poll() is None
        pages = [person.get(f"/mailboxes/{pk}/"), person.get("/")]
        assert [p.status for p in pages] == [200, 200], [p.body[-500:] for p in pages]
        health = person.get("/healthz/")  # 503 here: no beat runs in this test
        assert '"database": true' in health.body and '"worker": {"alive": 1' in health.body, health.body

        retest = person.post(f"/mailboxes/{pk}/retest/", {})
        assert retest.status == 302, retest.body[-2000:]
        final = wait_for(lambda: _connected(person, pk), every=0.5)
        assert final, worker.log()[-3000:]
        assert worker.proc.poll() is None and "Unrecoverable error" not in worker.log()
        assert_clean([*(p.body for p in pages), final.body, worker.log(), web.log()], web.log())
    finally:
        web.stop()
        worker.proc.terminate()
        worker.proc.wait(15)
