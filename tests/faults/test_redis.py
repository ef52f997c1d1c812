"""Redis stops while tests are queued (a Redis the test starts on a port of its own, the
broker of a real web process and a real worker on the test database, on either tier's
database). The tests wait for the queue and say so, then run once Redis is back."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from diagnostics.models import ConnectionTest
from tests.conftest import spawn_web, spawn_worker
from tests.core.processes import Visitor

from .harness import (
    SECRET,
    USER_PASSWORD,
    RedisServer,
    assert_clean,
    assert_true_state,
    connecting_mailbox,
    final,
    wait_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_tests_queued_while_redis_is_down_run_once_it_is_back(
    test_database_url, pki, tmp_path, make_user, make_mailbox, smtp_server, dovecot, redis
):
    queue = f"fault-redis-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": redis.url, "CELERY_QUEUE": queue}
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue, **env)
    web = spawn_web(test_database_url, pki, tmp_path / "web.log", **env)
    try:
        user = make_user(f"redis-{uuid.uuid4().hex[:6]}", USER_PASSWORD)
        mailboxes = [
            connecting_mailbox(make_mailbox, user, smtp_server, dovecot, f"redis{n}") for n in range(2)
        ]
        person = Visitor(web.port)
        assert person.sign_in(user.username, USER_PASSWORD).status == 302

        redis.stop()
        pages = []
        for mailbox in mailboxes:
            answer = person.post(f"/mailboxes/{mailbox.pk}/retest/", {})
            assert answer.status < 500, answer.body[-2000:]
            page = person.get(f"/mailboxes/{mailbox.pk}/")
            assert page.status == 200, page.body[-2000:]
            pages.append(page.body)
            section = page.body[page.body.find('id="test-status"') :][:1500]
            assert "Waiting for the queue" in page.body and "broker cannot be reached" in page.body, section
            assert "No worker finished" not in page.body
        tests = [mailbox.tests.get() for mailbox in mailboxes]
        for test in tests:
            assert test.status == "queued" and test.held_since is not None
        assert OutboxMessage.objects.filter(queue=queue, sent_at__isnull=True).count() == len(tests)
        health = person.get("/healthz/")
        assert health.status in (200, 503)

        time.sleep(3)  # the outage goes on: nothing is given up, no process exits
        assert worker.proc.poll() is None and web.proc.poll() is None
        redis.start()  # the same port, empty: whatever was queued before is gone from it
        back = time.monotonic()

        done = wait_for(lambda: final([t.pk for t in tests]))
        assert done, [str(t) for t in ConnectionTest.objects.filter(pk__in=[t.pk for t in tests])]
        for test in done:
            assert_true_state(test)
            assert test.status == "connected", list(test.errors.values("code", "detail"))
            assert test.handed_at is not None and test.held_since is None
            assert test.retry_of_id is None and not test.later_attempts.exists()
        started = max(t.started_at for t in done)
        print(
            f"held tests all started within {time.monotonic() - back:.2f} s of Redis' return; last {started}"
        )
        assert not OutboxMessage.objects.filter(queue=queue, sent_at__isnull=True).exists()
        for mailbox in mailboxes:
            pages.append(person.get(f"/mailboxes/{mailbox.pk}/").body)
        assert "Connected" in pages[-1]
        assert worker.proc.poll() is None, "the worker must survive the outage"
        assert_clean([*pages, worker.log(), web.log()], web.log())
        assert "Unrecoverable error" not in worker.log()
    finally:
        web.stop()
        worker.proc.terminate()
        worker.proc.wait(15)


def test_import_rows_queued_while_redis_is_down_wait_past_their_deadline_and_run_once_it_is_back(
    test_database_url, pki, tmp_path, make_user, smtp_server, dovecot, redis
):
    """Rows queued in an outage wait for the queue, however long it lasts: their deadline
    counts from when the broker takes their task, as a connection test's does."""
    from imports import flows as import_flows
    from imports.models import ImportJob, ImportRow
    from tests.imports.mixed import SERVERS_HEADER, write_csv

    queue = f"fault-redis-imp-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": redis.url, "CELERY_QUEUE": queue}
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue, **env)
    web = spawn_web(test_database_url, pki, tmp_path / "web.log", **env)
    try:
        user = make_user(f"redis-imp-{uuid.uuid4().hex[:6]}", USER_PASSWORD)
        name = dovecot.unique_username("redisimp")
        dovecot.add_user(name, SECRET, folders=["Sent"])
        smtp = smtp_server(security="starttls", users={name: SECRET})
        header = SERVERS_HEADER
        row = [
            name,
            SECRET,
            "127.0.0.1",
            str(smtp.port),
            "starttls",
            "127.0.0.1",
            str(dovecot.port_ssl),
            "ssl",
        ]
        person = Visitor(web.port)
        assert person.sign_in(user.username, USER_PASSWORD).status == 302

        redis.stop()
        assert person.post("/imports/", {"pasted": write_csv(header, [row])}).status == 302
        job = ImportJob.objects.get(user=user)
        mapping = {f"col_{h}": i for i, h in enumerate(header)}
        assert person.post(f"/imports/{job.pk}/mapping/", mapping).status < 500
        waiting = ImportRow.objects.get(job=job)
        assert waiting.state == "queued" and waiting.held_since is not None
        # An outage longer than the rows' own wait: the deadline has not started.
        ImportRow.objects.filter(job=job).update(deadline_at=timezone.now() - timedelta(minutes=1))
        page = person.get(f"/imports/{job.pk}/")
        assert page.status == 200 and "Waiting for the queue" in page.body
        assert ImportRow.NO_WORKER not in page.body and 'data-state="failed"' not in page.body
        assert import_flows.reap() == (0, 0)

        redis.start()
        done = wait_for(lambda: ImportRow.objects.filter(job=job, state="connected").first())
        assert done, list(ImportRow.objects.values("state", "code", "message", "held_since"))
        assert done.held_since is None and done.reruns == 0
        page = person.get(f"/imports/{job.pk}/")
        assert 'data-state="connected"' in page.body and "Waiting for the queue" not in page.body
        assert not OutboxMessage.objects.filter(queue=queue, sent_at__isnull=True).exists()
        assert worker.proc.poll() is None
        assert_clean([page.body, worker.log(), web.log()], web.log())
    finally:
        web.stop()
        worker.proc.terminate()
        worker.proc.wait(15)


def test_redis_leaving_while_a_test_runs_stops_no_worker(
    test_database_url, pki, tmp_path, settings, user, make_mailbox, raw_server, smtp_server, dovecot, redis
):
    from diagnostics import flows
    from tests.servers.raw import silent

    queue = f"fault-redis-mid-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.OUTBOX_SEND_ON_COMMIT = False  # this process' broker is not the private Redis
    env = {"REDIS_URL": redis.url, "CELERY_QUEUE": queue}
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue, **env)
    try:
        hanging = raw_server(silent)  # the test waits on it until its probe timeout
        slow = make_mailbox(user, email="slow@example.test", smtp_port=hanging.port, imap_port=hanging.port,
                            imap_security="none")  # fmt: skip
        test = flows.start_test(slow)  # the worker's relay hands it over
        assert wait_for(lambda: ConnectionTest.objects.get(pk=test.pk).status == "running"), worker.log()
        redis.stop()  # mid-test, its acknowledgement still owed
        assert wait_for(lambda: final([test.pk])), worker.log()[-3000:]
        assert_true_state(test)
        assert test.status == "failed" and test.errors.filter(code="timeout").exists()
        time.sleep(2)
        redis.start()
        good = connecting_mailbox(make_mailbox, user, smtp_server, dovecot, "redismid")
        after = flows.start_test(good)
        assert wait_for(lambda: final([after.pk])), worker.log()[-3000:]
        after.refresh_from_db()
        assert after.status == "connected"
        log = worker.log()
        assert worker.proc.poll() is None and "Unrecoverable error" not in log, log[-3000:]
        assert_clean([log])
    finally:
        worker.proc.terminate()
        worker.proc.wait(15)
