"""Reliability: a killed worker, a broker that is down, and secrets nowhere in the open."""

import signal
import time
import uuid
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.conftest import spawn_worker
from tests.leaks import leak_forms
from tests.servers.raw import silent

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Reliab1e-Sécret/+="


def _wait(predicate, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_worker_leaves_no_test_spinning(
    test_database_url, pki, tmp_path, user, make_mailbox, raw_server, celery_worker, settings
):
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    doomed = spawn_worker(test_database_url, pki, tmp_path / "doomed.log", queue=queue)
    hanging = raw_server(silent)  # keeps the SMTP test busy until we kill the worker
    mailbox = make_mailbox(user, smtp_port=hanging.port, imap_port=hanging.port, imap_security="none")
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    test = flows.start_test(mailbox)
    try:
        assert _wait(lambda: ConnectionTest.objects.get(pk=test.pk).status == "running")
        doomed.proc.send_signal(signal.SIGKILL)
        doomed.proc.wait(10)
    finally:
        if doomed.proc.poll() is None:
            doomed.proc.kill()
    assert ConnectionTest.objects.get(pk=test.pk).status == "running"  # orphaned by the kill

    # Time passes beyond the test's deadline; the periodic reaper runs in a real worker.
    ConnectionTest.objects.filter(pk=test.pk).update(deadline_at=timezone.now() - timedelta(seconds=1))
    from diagnostics.tasks import reap_stuck_tests
    from tests.conftest import TEST_QUEUE

    reap_stuck_tests.apply_async(queue=TEST_QUEUE)
    assert _wait(lambda: ConnectionTest.objects.get(pk=test.pk).status == "failed")
    test.refresh_from_db()
    assert test.errors.get().reason == "stuck"
    assert Mailbox.objects.get(pk=mailbox.pk).status == "failed"
    assert "reap-stuck-tests" in settings.CELERY_BEAT_SCHEDULE


@pytest.fixture
def broker_down(closed_port):
    from emailcenter.celery import app

    def reset_pools():
        # Forget the pools (kombu keeps them in a global registry; closing them would
        # break later tests), so the next publish connects to the current broker URL.
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url, app.conf.broker_transport
    # The default tier names its transport class (emailcenter/filebroker.py), which would
    # win over the URL's scheme.
    app.conf.broker_url, app.conf.broker_transport = f"redis://127.0.0.1:{closed_port}/0", None
    reset_pools()
    yield
    app.conf.broker_url, app.conf.broker_transport = original
    reset_pools()


def test_pages_keep_working_when_the_broker_is_down(client_a, user, broker_down):
    started = time.monotonic()
    response = client_a.post(
        reverse("mailbox_new"),
        {
            "email": "down@example.test",
            "password": SECRET,
            "smtp_host": "127.0.0.1",
            "smtp_port": 2525,
            "smtp_security": "starttls",
            "imap_host": "127.0.0.1",
            "imap_port": 1143,
            "imap_security": "ssl",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert time.monotonic() - started < 10
    mailbox = Mailbox.objects.get(user=user)
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk]))
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert "Queued" in body and "Waiting for the queue" in body
    assert client_a.get(reverse("mailbox_list")).status_code == HTTPStatus.OK


def _forms(secret: str) -> list[bytes]:
    return [form.encode() for form in leak_forms(secret)]


def _broker_contents() -> list[bytes]:
    """Everything the broker and shared cache hold right now."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        blobs = []
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                blobs.append(client.get(key) or b"")
            elif kind == b"list":
                blobs.extend(client.lrange(key, 0, -1))
            elif kind == b"hash":
                blobs.extend(client.hgetall(key).values())
            elif kind in (b"set", b"zset"):
                blobs.extend(client.smembers(key) if kind == b"set" else client.zrange(key, 0, -1))
        return blobs
    broker = Path(settings.VAR_DIR) / "broker"
    return [p.read_bytes() for p in broker.rglob("*") if p.is_file()]


def test_the_password_is_nowhere_but_the_encrypted_column(
    client_a, user, smtp_server, dovecot, celery_worker, caplog
):
    name = dovecot.unique_username("leak")
    dovecot.add_user(name, SECRET, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: "wrong-on-purpose"})
    client_a.post(
        reverse("mailbox_new"),
        {
            "email": name,
            "password": SECRET,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "starttls",
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port_ssl,
            "imap_security": "ssl",
        },
    )
    mailbox = Mailbox.objects.get(user=user)
    assert _wait(lambda: mailbox.tests.filter(status__in=["connected", "failed"]).exists()), (
        celery_worker.log()[-3000:]
    )
    test = mailbox.latest_test()
    pages = [
        client_a.get(reverse(name_, args=[mailbox.pk])).content
        for name_ in ("mailbox_detail", "mailbox_status", "mailbox_edit")
    ] + [client_a.get(reverse("mailbox_list")).content]
    places = {
        "pages": pages,
        "broker and cache": _broker_contents(),
        "worker log": [celery_worker.log().encode()],
        "test-process logs": [caplog.text.encode()],
        "transcript": [test.transcript.encode()],
        "errors": [f"{e.detail} {e.server_reply} {e.suggestion}".encode() for e in test.errors.all()],
        "steps": [s.detail.encode() for s in test.steps.all()],
        "settings snapshot": [repr(test.settings).encode()],
    }
    assert test.transcript and "[redacted]" in test.transcript
    for where, blobs in places.items():
        for blob in blobs:
            for form in _forms(SECRET):
                assert form not in blob, f"the password leaked into {where}"
    assert settings.CELERY_TASK_IGNORE_RESULT and not getattr(settings, "CELERY_RESULT_BACKEND", None)
