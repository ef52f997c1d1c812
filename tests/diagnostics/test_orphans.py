"""A running test whose worker process is gone runs again once (diagnostics/orphans.py),
decided from the worker's heartbeat and, on the same machine, its process id
(core/workers.py). Real processes stand in for workers: one that has ended, and this one."""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from core import workers
from core.models import Heartbeat, OutboxMessage
from diagnostics import flows, orphans
from diagnostics.models import ConnectionTest, TestStep

pytestmark = pytest.mark.django_db


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _name(pid: int, host: str | None = None) -> str:
    return f"worker q@h {host or socket.gethostname()}:{pid}"


def _running(mailbox, worker: str, started=None, reruns: int = 0) -> ConnectionTest:
    test = flows.start_test(mailbox, round_trip=False)
    started = started or timezone.now()
    ConnectionTest.objects.filter(pk=test.pk).update(
        status="running", worker=worker, started_at=started, reruns=reruns
    )
    TestStep.objects.create(test=test, protocol="smtp", name="connect", ok=True, ms=3)
    test.refresh_from_db()
    return test


def _beat(name: str, started, beat_at=None) -> None:
    Heartbeat.objects.create(name=name, role="worker", started_at=started, beat_at=beat_at or timezone.now())


def test_a_test_whose_process_ended_on_this_machine_is_queued_again_without_its_steps(user, make_mailbox):
    dead = _name(_ended_pid())
    _beat(dead, timezone.now() - timedelta(minutes=1))  # its heartbeat is fresh: the pid decides
    test = _running(make_mailbox(user), dead)
    sent_before = OutboxMessage.objects.count()
    assert orphans.requeue_orphaned_tests() == 1
    test.refresh_from_db()
    assert (test.status, test.reruns, test.worker, test.message) == ("queued", 1, "", ConnectionTest.RERUN)
    assert not test.steps.exists() and test.deadline_at > timezone.now()
    assert OutboxMessage.objects.count() == sent_before + 1  # queued again, through the outbox
    assert test.mailbox.tests.count() == 1
    assert orphans.requeue_orphaned_tests() == 0  # queued now: nothing more to take


def test_a_live_worker_keeps_its_test_even_while_its_heartbeat_is_late(user, make_mailbox):
    alive = _name(os.getpid())
    _beat(alive, timezone.now() - timedelta(minutes=5), beat_at=timezone.now() - timedelta(seconds=30))
    test = _running(make_mailbox(user), alive)
    assert orphans.requeue_orphaned_tests() == 0
    test.refresh_from_db()
    assert test.status == "running" and test.steps.exists()


def test_a_worker_restarted_under_the_same_name_or_silent_elsewhere_has_lost_its_test(user, make_mailbox):
    claimed = timezone.now() - timedelta(seconds=20)
    elsewhere = _name(12345, host="another-machine")
    _beat(elsewhere, started=timezone.now())  # started again after the claim (compose)
    restarted = _running(make_mailbox(user, email="a@example.test"), elsewhere, started=claimed)
    silent_name = _name(12346, host="a-third-machine")
    _beat(silent_name, claimed - timedelta(hours=1), beat_at=timezone.now() - timedelta(seconds=61))
    silent = _running(make_mailbox(user, email="b@example.test"), silent_name, started=claimed)
    quiet_name = _name(12347, host="a-fourth-machine")
    _beat(quiet_name, claimed - timedelta(hours=1), beat_at=timezone.now() - timedelta(seconds=40))
    quiet = _running(make_mailbox(user, email="c@example.test"), quiet_name, started=claimed)
    assert orphans.requeue_orphaned_tests() == 2
    for test, status in ((restarted, "queued"), (silent, "queued"), (quiet, "running")):
        test.refresh_from_db()
        assert test.status == status, test


def test_the_second_loss_ends_the_test_failed_saying_so(user, make_mailbox):
    test = _running(make_mailbox(user), _name(_ended_pid()), reruns=1)
    assert orphans.requeue_orphaned_tests() == 1
    test.refresh_from_db()
    assert test.status == "failed" and test.reruns == 1
    error = test.errors.get()
    assert (error.code, error.reason, error.detail) == ("timeout", "stuck", orphans.GAVE_UP)
    assert test.mailbox.status == "failed"


def test_a_run_that_lost_its_test_leaves_the_verdict_to_the_run_that_took_it(user, make_mailbox):
    workers.set_this_worker(_name(_ended_pid()))  # this "worker" will look dead to the sweep
    try:
        test = flows.start_test(make_mailbox(user), round_trip=False)
        mine = flows._claim(test.pk)
    finally:
        workers.set_this_worker("")
    assert mine.status == "running" and mine.worker
    assert orphans.requeue_orphaned_tests() == 1

    class Diagnosis:  # what the lost run would have written
        status, sent_folder, errors = "connected", "Sent", []

    assert flows._record(mine, Diagnosis(), []) is None
    test.refresh_from_db()
    assert test.status == "queued" and test.sent_folder == ""
