"""The default tier's broker folder replaced by a file for 3 s, then gone altogether:
a real worker and web process on a broker folder of their own. Neither exits; a test
queued meanwhile waits for the queue and runs once the folder is back."""

import shutil
import time
import uuid

import pytest
from django.conf import settings

from diagnostics.models import ConnectionTest
from tests.conftest import spawn_web, spawn_worker
from tests.core.processes import Visitor

from .harness import (
    USER_PASSWORD,
    assert_clean,
    assert_true_state,
    connecting_mailbox,
    final,
    wait_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.skipif(bool(settings.REDIS_URL), reason="the file broker is the default tier's"),
]


def test_a_broker_folder_replaced_by_a_file_or_removed_stops_nothing_for_good(
    test_database_url, pki, tmp_path, make_user, make_mailbox, smtp_server, dovecot
):
    queue = f"fault-folder-{uuid.uuid4().hex[:8]}"
    var = tmp_path / "var"
    env = {"VAR_DIR": str(var), "STATIC_ROOT": str(settings.STATIC_ROOT), "CELERY_QUEUE": queue}
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue, **env)
    web = spawn_web(test_database_url, pki, tmp_path / "web.log", **env)
    folder = var / "broker" / "queue"
    try:
        user = make_user(f"folder-{uuid.uuid4().hex[:6]}", USER_PASSWORD)
        boxes = [connecting_mailbox(make_mailbox, user, smtp_server, dovecot, f"folder{n}") for n in range(3)]
        person = Visitor(web.port)
        assert person.sign_in(user.username, USER_PASSWORD).status == 302
        pages = []

        # Replaced by a file for 3 s, with a test queued meanwhile.
        aside = var / "broker" / "queue-aside"
        folder.rename(aside)
        folder.write_text("not a folder")
        assert person.post(f"/mailboxes/{boxes[0].pk}/retest/", {}).status < 500
        page = person.get(f"/mailboxes/{boxes[0].pk}/")
        assert page.status == 200 and "Waiting for the queue" in page.body
        pages.append(page.body)
        time.sleep(3)
        assert worker.proc.poll() is None, worker.log()[-3000:]
        folder.unlink()
        aside.rename(folder)
        first = boxes[0].tests.get()
        assert wait_for(lambda: final([first.pk])), worker.log()[-3000:]
        assert_true_state(first)
        assert first.status == "connected"

        # Removed altogether: the worker makes it again and carries on.
        shutil.rmtree(folder)
        time.sleep(1.5)
        assert person.post(f"/mailboxes/{boxes[1].pk}/retest/", {}).status < 500
        second = wait_for(lambda: boxes[1].tests.first())
        assert wait_for(lambda: final([second.pk])), worker.log()[-3000:]
        assert_true_state(second)
        assert second.status == "connected"

        # And a test after all that is picked up as before (the doorbell watches the new folder).
        assert person.post(f"/mailboxes/{boxes[2].pk}/retest/", {}).status < 500
        third = wait_for(lambda: boxes[2].tests.first())
        assert wait_for(lambda: final([third.pk]))
        third.refresh_from_db()
        assert third.status == "connected"
        for box in boxes:
            pages.append(person.get(f"/mailboxes/{box.pk}/").body)
        assert worker.proc.poll() is None
        log = worker.log()
        assert "Unrecoverable error" not in log and "File broker folder unavailable" in log
        assert_clean([*pages, log, web.log()], web.log())
        assert ConnectionTest.objects.filter(mailbox__in=boxes).count() == 3
    finally:
        web.stop()
        worker.proc.terminate()
        worker.proc.wait(15)
