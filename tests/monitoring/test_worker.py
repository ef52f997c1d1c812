"""The scheduler queues due checks and a real Celery worker process runs them."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import schedule
from monitoring.models import Alert, Check, Health, State

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_real_worker_runs_queued_checks_and_sends_the_alert(celery_worker, connected_mailbox, servers):
    good, bad = connected_mailbox(), connected_mailbox()
    servers.change_password(bad.email, "changed-elsewhere")
    Health.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert schedule.queue_due() == 2
    deadline = time.monotonic() + 60
    while Check.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Health.objects.get(pk=good.pk).state == State.CONNECTED
    assert Health.objects.get(pk=bad.pk).state == State.DISCONNECTED, celery_worker.log()[-3000:]
    deadline = time.monotonic() + 10
    while not Alert.objects.filter(emailed_at__isnull=False).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    alert = Alert.objects.get()
    assert alert.mailbox_id == bad.pk and alert.emailed_at is not None
    assert Health.objects.filter(claimed_at__isnull=False).count() == 0
