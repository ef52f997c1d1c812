"""The default tier's SQLite database write-locked for 25 s (longer than its 20 s busy
timeout) while a test's task reaches the worker: the worker, its relay and its heartbeat
log the lock and carry on, and the test runs once the lock is gone.

What a person's form post meets during the lock (a 503 page that keeps the form) is
tested with that page; here pages that only read are checked to answer."""

import sqlite3
import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection

from core import dispatch
from diagnostics import flows
from tests.conftest import spawn_web, spawn_worker
from tests.core.processes import Visitor

from .harness import USER_PASSWORD, assert_clean, assert_true_state, connecting_mailbox, final, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.skipif(
        bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql")), reason="SQLite's"
    ),
]
HOLD = 25.0


def test_a_database_locked_for_25_s_delays_a_test_and_loses_nothing(
    test_database_url, pki, tmp_path, settings, make_user, make_mailbox, smtp_server, dovecot, monkeypatch
):
    queue = f"fault-lock-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue)
    web = spawn_web(test_database_url, pki, tmp_path / "web.log", CELERY_QUEUE=queue)
    try:
        user = make_user(f"lock-{uuid.uuid4().hex[:6]}", USER_PASSWORD)
        mailbox = connecting_mailbox(make_mailbox, user, smtp_server, dovecot, "lock")
        person = Visitor(web.port)
        assert person.sign_in(user.username, USER_PASSWORD).status == 302
        monkeypatch.setattr(flows, "enqueue", lambda test_id: True)  # sent by hand below, mid-lock
        test = flows.start_test(mailbox)

        locked, release = threading.Event(), threading.Event()

        def hold():
            db = sqlite3.connect(connection.settings_dict["NAME"], timeout=30, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            locked.set()
            release.wait(HOLD)
            db.execute("ROLLBACK")
            db.close()

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert locked.wait(30)
            dispatch.publish(dispatch.RUN_CONNECTION_TEST, [test.pk], queue=queue)
            page = person.get(f"/mailboxes/{mailbox.pk}/")
            assert page.status != 500, page.body[-2000:]
            health = person.get("/healthz/")
            assert health.status in (200, 503)
            holder.join(HOLD + 10)
        finally:
            release.set()
            holder.join()
        assert worker.proc.poll() is None, worker.log()[-3000:]
        assert wait_for(lambda: final([test.pk])), worker.log()[-3000:]
        assert_true_state(test)
        assert test.status == "connected" and test.retry_of_id is None
        log = worker.log()
        assert "database is locked" in log and "Unrecoverable error" not in log
        assert_clean([page.body, log, web.log()], web.log())
    finally:
        web.stop()
        worker.proc.terminate()
        worker.proc.wait(15)
