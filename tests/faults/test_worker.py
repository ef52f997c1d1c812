"""A worker killed mid-test, and a restarted worker that finds a test whose deadline
passed while no worker ran: real worker processes on the test database (either tier)."""

import signal
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.conftest import spawn_worker
from tests.servers.raw import silent

from .harness import assert_clean, assert_true_state, connecting_mailbox, final, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _stop(worker) -> None:
    if worker.proc.poll() is None:
        worker.proc.terminate()
        worker.proc.wait(15)


def test_a_test_shown_failed_is_never_flipped_a_late_run_is_a_new_attempt(
    test_database_url, pki, tmp_path, settings, user, make_mailbox, smtp_server, dovecot, client
):
    queue = f"fault-late-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    mailbox = connecting_mailbox(make_mailbox, user, smtp_server, dovecot, "late")
    test = flows.start_test(mailbox)  # handed to the broker; no worker reads this queue yet
    ConnectionTest.objects.filter(pk=test.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
    client.force_login(user)
    shown = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "No worker finished this test" in shown  # what the person has seen: failed

    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue)
    try:
        later = wait_for(lambda: ConnectionTest.objects.filter(retry_of=test.pk).first())
        assert later, worker.log()[-3000:]
        assert wait_for(lambda: final([test.pk, later.pk]))
    finally:
        _stop(worker)
    test.refresh_from_db()
    later.refresh_from_db()
    assert test.status == "failed" and test.errors.get().reason == "stuck"  # still what was shown
    assert later.status == "connected" and later.retry_of_id == test.pk
    assert_true_state(test)
    assert_true_state(later)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk]))
    assert page.status_code == 200 and "Connected" in page.content.decode()
    assert "earlier attempt" in page.content.decode()
    assert_clean([shown, page.content.decode(), worker.log()])


def test_a_worker_killed_mid_test_leaves_a_true_state_and_its_successor_works(
    test_database_url, pki, tmp_path, settings, user, make_mailbox, raw_server, smtp_server, dovecot, client
):
    queue = f"fault-kill-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    log = tmp_path / "worker.log"
    worker = spawn_worker(test_database_url, pki, log, queue=queue)
    hanging = raw_server(silent)  # keeps the test busy until the worker is killed
    stuck_box = make_mailbox(
        user, email="hang@example.test", smtp_port=hanging.port, imap_port=hanging.port, imap_security="none"
    )
    test = flows.start_test(stuck_box)
    try:
        assert wait_for(lambda: ConnectionTest.objects.get(pk=test.pk).status == "running"), worker.log()
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(15)
    finally:
        if worker.proc.poll() is None:
            worker.proc.kill()
    worker = spawn_worker(test_database_url, pki, log, queue=queue)  # `make run` / compose restart it
    try:
        good = connecting_mailbox(make_mailbox, user, smtp_server, dovecot, "afterkill")
        after = flows.start_test(good)
        assert wait_for(lambda: final([after.pk])), worker.log()[-3000:]
        after.refresh_from_db()
        assert after.status == "connected"

        # The orphan: past its deadline the page says so, and the reaper records it.
        ConnectionTest.objects.filter(pk=test.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
        client.force_login(user)
        page = client.get(reverse("mailbox_detail", args=[stuck_box.pk]))
        assert page.status_code == 200 and "No worker finished this test" in page.content.decode()
        assert flows.reap_stuck_tests() == 1
        assert_true_state(test)
        assert test.errors.get().reason == "stuck"
        assert worker.proc.poll() is None
    finally:
        _stop(worker)
    assert_clean([page.content.decode(), worker.log()])
