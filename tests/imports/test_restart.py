"""The job outlives its worker: a worker killed mid-test leaves rows that end with a clear
state, the page reattaches to the database's state, and checking again finishes them."""

import signal
import time
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from imports import flows
from imports import rows as R
from imports.models import ImportJob, ImportRow
from tests.conftest import spawn_worker
from tests.imports.mixed import PASSWORD, SERVERS_HEADER, write_csv
from tests.live.slow import delayed_proxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _wait(predicate, seconds=40):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail("timed out")


def _until_both_connected(job, worker) -> None:
    try:
        _wait(lambda: ImportRow.objects.filter(job=job, state=R.CONNECTED).count() == 2)
    except BaseException:
        print(list(ImportRow.objects.values("state", "code", "message")), worker.log()[-3000:])
        raise


def _two_rows_behind_a_slow_smtp_server(dovecot, smtp_server, raw_server, tag: str):
    """Two mailboxes whose SMTP server takes 1.5 s to greet: time to kill a worker mid-test."""
    names = [dovecot.unique_username(tag), dovecot.unique_username(tag)]
    for name in names:
        dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users=dict.fromkeys(names, PASSWORD))
    slow = delayed_proxy(raw_server, smtp.port, delay=1.5)
    server = ["127.0.0.1", str(slow.port), "starttls", "127.0.0.1", str(dovecot.port_ssl), "ssl"]
    return names, [[n, PASSWORD, *server] for n in names]


def test_rows_whose_worker_was_killed_are_tested_again_by_the_worker_that_replaces_it(
    client, user, dovecot, smtp_server, raw_server, pki, test_database_url, settings, tmp_path
):
    """As `make run` and compose do: the dead worker is started again, and the rows it was
    testing are tested again, with nothing for the person to do."""
    settings.CELERY_TASK_DEFAULT_QUEUE = queue = f"imp-rerun-{uuid.uuid4().hex[:8]}"
    names, rows = _two_rows_behind_a_slow_smtp_server(dovecot, smtp_server, raw_server, "rerun")
    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": write_csv(SERVERS_HEADER, rows)})
    job = ImportJob.objects.get()
    log = tmp_path / "worker.log"
    worker = spawn_worker(test_database_url, pki, log, queue=queue)
    try:
        client.post(
            reverse("import_mapping", args=[job.pk]), {f"col_{h}": i for i, h in enumerate(SERVERS_HEADER)}
        )
        _wait(lambda: ImportRow.objects.filter(job=job, state=R.TESTING).count() == 2)
        first = set(ImportRow.objects.values_list("worker", flat=True))
        worker.proc.send_signal(signal.SIGKILL)  # mid-test: SMTP is still waiting for its greeting
        worker.proc.wait(10)
    finally:
        if worker.proc.poll() is None:
            worker.proc.kill()
    second = spawn_worker(test_database_url, pki, log, queue=queue)
    try:
        _until_both_connected(job, second)
    finally:
        second.proc.terminate()
        second.proc.wait(15)
    done = ImportRow.objects.filter(job=job)
    assert {row.reruns for row in done} == {1} and not first & {row.worker for row in done}
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert page.count('data-state="connected"') == 2 and "stuck" not in page
    assert PASSWORD not in second.log()


def test_a_worker_killed_mid_test_leaves_a_clear_state_and_checking_again_finishes(
    client, user, dovecot, smtp_server, raw_server, pki, test_database_url, settings, tmp_path
):
    settings.CELERY_TASK_DEFAULT_QUEUE = queue = f"imp-restart-{uuid.uuid4().hex[:8]}"
    names, rows = _two_rows_behind_a_slow_smtp_server(dovecot, smtp_server, raw_server, "restart")
    client.force_login(user)
    client.post(reverse("import_new"), {"pasted": write_csv(SERVERS_HEADER, rows)})
    job = ImportJob.objects.get()
    worker = spawn_worker(test_database_url, pki, tmp_path / "first.log", queue=queue)
    try:
        client.post(reverse("import_mapping", args=[job.pk]), {"col_email": 0, "col_password": 1, **{
            f"col_{h}": i for i, h in enumerate(SERVERS_HEADER) if i > 1}})  # fmt: skip
        _wait(lambda: ImportRow.objects.filter(job=job, state=R.TESTING).count() == 2)
        worker.proc.send_signal(signal.SIGKILL)  # mid-test: SMTP is still waiting for its greeting
        worker.proc.wait(10)
    finally:
        if worker.proc.poll() is None:
            worker.proc.kill()
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert page.count('data-state="testing"') == 2 and "sse-connect" in page  # the page reattaches

    # Past the rows' deadline (as if its time had passed) they read as failed, clearly...
    ImportRow.objects.filter(job=job).update(deadline_at=timezone.now())
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert page.count('data-state="failed"') == 2 and ImportRow.NO_WORKER in page
    assert "Check the failed ones again" in page and "sse-connect" not in page
    # ... and the reaper writes that down.
    assert flows.reap() == (2, 0)
    assert set(ImportRow.objects.values_list("reason", flat=True)) == {"stuck"}

    second = spawn_worker(test_database_url, pki, tmp_path / "second.log", queue=queue)
    try:
        client.post(reverse("import_recheck", args=[job.pk]))
        _until_both_connected(job, second)
    finally:
        second.proc.terminate()
        second.proc.wait(15)
    client.post(reverse("import_save", args=[job.pk]))
    assert sorted(Mailbox.objects.values_list("email", flat=True)) == sorted(names)
    for log in (worker.log(), second.log()):
        assert PASSWORD not in log
