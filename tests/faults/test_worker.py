"""A worker killed mid-test, and a restarted worker that finds a test whose deadline
passed while no worker ran: real worker processes on the test database (either tier)."""

import signal
import threading
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.conftest import spawn_worker
from tests.live.slow import gated_proxy

from .harness import SECRET, assert_clean, assert_true_state, connecting_mailbox, final, wait_for

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


def _kill(worker) -> None:
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(15)


def _running_under(test_pk: int, previous_worker: str = "") -> str:
    """Until the test runs on a worker other than `previous_worker`; that worker's name."""
    tests = ConnectionTest.objects.filter(pk=test_pk, status="running")
    running = wait_for(lambda: tests.exclude(worker=previous_worker).first())
    assert running, ConnectionTest.objects.get(pk=test_pk)
    return running.worker


def test_a_worker_killed_mid_test_is_replaced_and_the_test_runs_again_once(
    test_database_url, pki, tmp_path, settings, user, make_mailbox, raw_server, smtp_server, dovecot, client
):
    """`make run` (and compose) start a dead worker again within seconds: the test it was
    running starts over on the new one and ends Connected, with no "stuck" on the way. A
    test whose worker dies a second time ends failed, saying so."""
    queue = f"fault-kill-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    log = tmp_path / "worker.log"
    gate = threading.Event()  # the servers say nothing until it opens: the test is mid-way
    name = dovecot.unique_username("killed")
    dovecot.add_user(name, SECRET, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: SECRET})
    box = make_mailbox(
        user,
        email=name,
        password=SECRET,
        smtp_port=gated_proxy(raw_server, smtp.port, gate).port,
        imap_port=gated_proxy(raw_server, dovecot.port_ssl, gate).port,
    )
    test = flows.start_test(box, round_trip=False)
    workers = [spawn_worker(test_database_url, pki, log, queue=queue)]
    try:
        first = _running_under(test.pk)
        _kill(workers[-1])
        gate.set()  # the servers answer from now on
        workers.append(spawn_worker(test_database_url, pki, log, queue=queue))  # as `make run` does
        assert wait_for(lambda: final([test.pk])), workers[-1].log()[-3000:]
        test.refresh_from_db()
        assert test.status == "connected" and test.reruns == 1 and test.worker != first
        assert not test.errors.exists() and test.message == ""
        assert box.tests.count() == 1  # the same test ran again: no new attempt, nothing failed
        # Only the second run's steps: each step once.
        names = list(test.steps.values_list("protocol", "name"))
        assert len(names) == len(set(names)), names
        client.force_login(user)
        page = client.get(reverse("mailbox_detail", args=[box.pk])).content.decode()
        assert "Connected" in page and "No worker finished" not in page

        # The second time a test loses its worker, it ends: failed, and saying why.
        gate.clear()
        again = flows.start_test(box, round_trip=False)
        second = _running_under(again.pk)
        _kill(workers[-1])
        workers.append(spawn_worker(test_database_url, pki, log, queue=queue))
        third = _running_under(again.pk, previous_worker=second)
        assert ConnectionTest.objects.get(pk=again.pk).reruns == 1
        running = client.get(reverse("mailbox_detail", args=[box.pk])).content.decode()
        assert "the test runs again" in running  # why its steps started over
        _kill(workers[-1])
        workers.append(spawn_worker(test_database_url, pki, log, queue=queue))
        assert wait_for(lambda: final([again.pk])), workers[-1].log()[-3000:]
        again.refresh_from_db()
        assert again.status == "failed" and again.errors.get().reason == "stuck", third
        assert_true_state(again)
        page = client.get(reverse("mailbox_detail", args=[box.pk])).content.decode()
        assert "stopped twice" in page and workers[-1].proc.poll() is None
    finally:
        gate.set()
        for worker in workers:
            if worker.proc.poll() is None:
                _stop(worker)
    assert_clean([page, running, *(w.log() for w in workers[-1:])])
