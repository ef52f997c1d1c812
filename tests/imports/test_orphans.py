"""Rows under test whose worker process has ended are tested again once, then fail
saying so (imports/orphans.py); rows of a live worker are left alone."""

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from imports import orphans
from imports import rows as R
from imports.models import ImportJob, ImportRow

pytestmark = pytest.mark.django_db


def _worker(pid: int) -> str:
    return f"worker q@h {socket.gethostname()}:{pid}"


def _ended() -> str:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return _worker(proc.pid)


def test_rows_of_an_ended_worker_are_queued_again_then_failed_the_second_time(user):
    job = ImportJob.objects.create(
        user=user, status=ImportJob.Status.CHECKING, expires_at=timezone.now() + timedelta(days=1)
    )
    claimed = timezone.now()
    ended, alive = _ended(), _worker(os.getpid())

    def row(number: int, worker: str, reruns: int = 0) -> ImportRow:
        return ImportRow.objects.create(
            job=job, number=number, email=f"r{number}@example.test", state=R.TESTING,
            worker=worker, claimed_at=claimed, reruns=reruns, deadline_at=claimed + timedelta(minutes=1),
        )  # fmt: skip

    first, second, live = row(1, ended), row(2, ended, reruns=1), row(3, alive)
    assert orphans.requeue_orphaned_rows() == 2
    for each in (first, second, live):
        each.refresh_from_db()
    assert (first.state, first.reruns, first.worker) == (R.QUEUED, 1, "")
    sent = OutboxMessage.objects.get(task="imports.tasks.test_rows")
    assert sent.args == [job.pk, [first.pk]]
    assert (second.state, second.reason, second.message) == (R.FAILED, "stuck", orphans.GAVE_UP)
    assert live.state == R.TESTING
    assert orphans.requeue_orphaned_rows() == 0
