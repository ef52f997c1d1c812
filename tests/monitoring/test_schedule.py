"""The scheduler: even offsets, batches claimed behind a keyset cursor, retention."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest
from monitoring import checks, history, schedule
from monitoring.models import Check, Health, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """The tasks queued so far (the outbox, sent once the caller's transaction commits)."""
    from core.models import OutboxMessage

    return lambda: [(m.task, m.args) for m in OutboxMessage.objects.order_by("pk")]


def test_offsets_spread_evenly_over_the_interval(settings):
    settings.MAIL_HEALTH_INTERVAL = 3600
    minutes = [schedule.offset_for(pk) // 60 for pk in range(1, 6001)]
    per_minute = [minutes.count(m) for m in range(60)]
    assert min(per_minute) > 60 and max(per_minute) < 140  # 100 expected per minute
    at = datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
    assert schedule.next_slot(90, at) == datetime(2026, 1, 1, 10, 1, 30, tzinfo=UTC)
    assert schedule.next_slot(10, at) == datetime(2026, 1, 1, 11, 0, 10, tzinfo=UTC)
    # After a check run off its slot, the next one is the slot at least half an interval away.
    assert schedule.after_check(90, at) == datetime(2026, 1, 1, 11, 1, 30, tzinfo=UTC)


def test_it_enrolls_connected_mailboxes_and_queues_due_ones_in_batches(
    make_mailbox, user, settings, published
):
    settings.MAIL_HEALTH_BATCH = 4
    boxes = [
        make_mailbox(user, email=f"b{i}@example.test", status=Mailbox.Status.CONNECTED) for i in range(10)
    ]
    make_mailbox(user, email="new@example.test")  # never connected: not monitored
    assert schedule.enroll() == 4 and schedule.enroll(100) == 6 and schedule.enroll() == 0
    past = timezone.now() - timedelta(minutes=1)
    Health.objects.update(next_check_at=past)
    Health.objects.filter(pk=boxes[0].pk).update(state=State.PAUSED)
    Health.objects.filter(pk=boxes[1].pk).update(claimed_at=timezone.now())  # a check under way
    with CaptureQueriesContext(connection) as queries:
        assert schedule.queue_due() == 8
    # Each batch: a select, a conditional claim, a re-read and one outbox insert; a bounded
    # number per batch.
    assert len(queries) <= 4 * 4 + 2
    queued = sorted(body[0] for sender, body in published() if sender == schedule.RUN_HEALTH_CHECK)
    token = next(body[1] for sender, body in published() if body[0] == boxes[2].pk)
    assert schedule.take(boxes[2].pk, token) and not schedule.take(boxes[2].pk, token), "taken once"
    assert queued == sorted(b.pk for b in boxes[2:])
    assert schedule.queue_due() == 0, "claimed checks are not queued twice"


def test_a_stale_claim_is_picked_up_again(make_mailbox, user, published):
    box = make_mailbox(user, status=Mailbox.Status.CONNECTED)
    schedule.enroll()
    old = timezone.now() - schedule.stale_claim() - timedelta(seconds=1)
    Health.objects.update(next_check_at=old, claimed_at=old)
    assert schedule.queue_due() == 1 and published()[-1][1][0] == box.pk


def test_the_owners_fix_reconnects_and_emails_working_again(
    make_mailbox, user, mailoutbox, django_capture_on_commit_callbacks
):
    user.email = "alice@people.example"
    user.save()
    box = make_mailbox(user, status=Mailbox.Status.CONNECTED)
    earlier = timezone.now() - timedelta(hours=1)
    Health.objects.create(mailbox=box, state=State.DISCONNECTED, state_changed_at=earlier)
    Mailbox.objects.filter(pk=box.pk).update(last_tested_at=timezone.now())
    assert schedule.recovered_by_owner() == [box.pk]
    with django_capture_on_commit_callbacks(execute=True):
        checks.owner_fixed(box.pk)
    health = Health.objects.get(pk=box.pk)
    assert health.state == State.CONNECTED and health.next_check_at is not None
    assert [m.subject for m in mailoutbox] == [f"{box.email} is working again"]
    assert box.tests.count() == 0 and Check.objects.filter(mailbox=box).count() == 1, "history kept"


def test_retention_keeps_every_check_for_14_days_then_one_a_day(make_mailbox, user):
    box = make_mailbox(user, status=Mailbox.Status.CONNECTED)
    now = timezone.now()
    old_day = (now - timedelta(days=20)).replace(hour=12, minute=0)
    rows = []
    for h in range(6):
        test = ConnectionTest.objects.create(mailbox=box, status="connected")
        ok = h != 2
        rows.append(Check(mailbox=box, test=test, state="connected" if ok else "degraded", ok=ok,
                          created_at=old_day + timedelta(minutes=10 * h)))  # fmt: skip
    for h in range(5):
        rows.append(
            Check(mailbox=box, state="connected", ok=True, created_at=now - timedelta(days=2, hours=h))
        )
    Check.objects.bulk_create(rows)
    deleted = history.thin(now)
    assert deleted == 5
    kept_old = Check.objects.filter(created_at__lt=now - timedelta(days=14))
    assert [c.ok for c in kept_old] == [False], "the day's failure is what is kept"
    assert Check.objects.filter(created_at__gte=now - timedelta(days=14)).count() == 5
    assert ConnectionTest.objects.filter(mailbox=box).count() == 1, "thinned checks take their tests along"
    assert history.thin(now) == 0


def test_beat_runs_the_hourly_upkeep_and_the_old_task_name_still_runs_it(settings, make_mailbox, user):
    from emailcenter.celery import app
    from monitoring import tasks as registered  # noqa: F401 (registers the tasks with the app)

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "monitoring.tasks.hourly_upkeep" in tasks
    assert "monitoring.tasks.daily" not in tasks
    box = make_mailbox(user, status=Mailbox.Status.CONNECTED)
    day = timezone.now() - timedelta(days=20)
    Check.objects.bulk_create(
        Check(mailbox=box, state="connected", ok=True, created_at=day + timedelta(minutes=m)) for m in (0, 10)
    )
    # A message queued under the name used before the rename is still understood.
    app.tasks["monitoring.tasks.daily"].apply()
    assert Check.objects.filter(mailbox=box).count() == 1
