"""The outbox on its own: a task exists exactly when its transaction commits, it is held
while the broker refuses it, several relays send each task once, and a held test says
so and starts its deadline when it is handed over. /healthz/ reads the heartbeats."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core import dispatch, outbox
from core.models import Heartbeat, OutboxMessage
from diagnostics import flows
from diagnostics.models import ConnectionTest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(monkeypatch):
    """The broker's side of the hand-over: records what it takes; `.down` refuses."""

    class Broker:
        down = False
        taken: list = []

        def publish(self, task, args, queue=None, task_id=None):
            if self.down:
                raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
            self.taken.append((task, list(args), queue, task_id))

    fake = Broker()
    fake.taken = []
    monkeypatch.setattr(dispatch, "publish", fake.publish)
    return fake


def test_a_task_exists_only_if_its_transaction_commits_and_is_sent_on_commit(broker, settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.send("app.tasks.never", 1)
        raise RuntimeError("rolled back")
    assert not OutboxMessage.objects.exists() and broker.taken == []

    with transaction.atomic():
        dispatch.send("app.tasks.work", 7, "x")
        assert broker.taken == [], "nothing leaves before the commit"
    message = OutboxMessage.objects.get()
    assert broker.taken == [
        ("app.tasks.work", [7, "x"], settings.CELERY_TASK_DEFAULT_QUEUE, f"outbox-{message.pk}")
    ]
    assert message.sent_at is not None and message.attempts == 1


def test_a_refused_task_is_held_and_sent_once_the_broker_is_back(broker):
    broker.down = True
    dispatch.send("app.tasks.work", 1)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1 and message.last_error == "ConnectionError"
    assert outbox.broker.down, "the next request does not wait on the dead broker again"
    dispatch.send("app.tasks.work", 2)
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    assert outbox.held_count()[0] == 2

    broker.down = False
    outbox.broker.down_until = 0  # the backoff has passed
    assert outbox.relay_due([message.queue]) == 2
    assert [args for _, args, _, _ in broker.taken] == [[1], [2]], "oldest first"
    assert outbox.held_count() == (0, None)


def test_relays_running_at_once_send_every_task_exactly_once(broker, settings):
    settings.OUTBOX_SEND_ON_COMMIT = False  # only the relays send
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    OutboxMessage.objects.bulk_create(
        OutboxMessage(task="app.tasks.work", args=[n], queue=queue, due_at=timezone.now()) for n in range(60)
    )
    start = threading.Barrier(4)

    def relay():
        start.wait()
        try:
            while outbox.relay_due([queue], limit=7):
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sent = sorted(args[0] for _, args, _, _ in broker.taken)
    assert sent == list(range(60)), "each once, none lost"
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_countdown_is_kept_in_the_database_until_it_is_due(broker, settings):
    dispatch.send("app.tasks.later", 1, countdown=60)
    assert broker.taken == []
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    assert outbox.relay_due([queue]) == 0
    OutboxMessage.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert outbox.relay_due([queue]) == 1 and broker.taken[0][0] == "app.tasks.later"


def test_a_held_test_waits_for_the_queue_and_its_deadline_starts_when_handed_over(
    broker, user, make_mailbox, client
):
    broker.down = True
    mailbox = make_mailbox(user)
    test = flows.start_test(mailbox)
    test.refresh_from_db()
    assert test.held_since is not None and test.status == "queued"
    # However long the broker is away, the test is not failed by its deadline.
    ConnectionTest.objects.filter(pk=test.pk).update(deadline_at=timezone.now() - timedelta(minutes=5))
    test.refresh_from_db()
    assert not test.overdue and not test.is_final and test.status_message == ConnectionTest.WAITING_FOR_QUEUE
    assert flows.reap_stuck_tests() == 0
    client.force_login(user)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Waiting for the queue" in page and "No worker finished" not in page

    broker.down = False
    outbox.broker.down_until = 0
    assert outbox.relay_due([OutboxMessage.objects.get().queue]) == 1
    test.refresh_from_db()
    assert test.held_since is None and test.handed_at is not None
    assert test.deadline_at > timezone.now() + timedelta(seconds=30), "a whole deadline from the hand-over"
    assert test.status_message == ""


def test_the_health_endpoint_reports_workers_and_beat_from_their_heartbeats(client, settings):
    now = timezone.now()
    answer = client.get("/healthz/")
    assert answer.status_code == 503 and answer.json()["worker"]["alive"] == 0
    outbox.heartbeat("worker celery@a", "worker", now)
    outbox.heartbeat("beat@a:1", "beat", now)
    answer = client.get("/healthz/")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "ok" and answer.json()["outbox"] == {"held": 0, "oldest_seconds": None}
    Heartbeat.objects.filter(role="beat").update(
        beat_at=now - timedelta(seconds=settings.HEARTBEAT_SECONDS * 4)
    )
    answer = client.get("/healthz/")
    assert answer.status_code == 503 and answer.json()["beat"]["alive"] == 0
    assert answer.json()["beat"]["last_seen_seconds"] >= settings.HEARTBEAT_SECONDS * 4


def test_the_relay_thread_beats_and_sends_until_stopped(broker, settings):
    settings.OUTBOX_SEND_ON_COMMIT = False
    settings.OUTBOX_RELAY_INTERVAL = 0.05
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    dispatch.send("app.tasks.work", 3)
    relay = outbox.Relay("worker", [queue], name="worker test").start()
    try:
        done = threading.Event()
        for _ in range(600):  # generous: CI shares two cores
            if broker.taken and Heartbeat.objects.filter(name="worker test").exists():
                done.set()
                break
            threading.Event().wait(0.05)
        assert done.is_set()
    finally:
        relay.close()
    assert broker.taken[0][:2] == ("app.tasks.work", [3])


def test_a_beat_tick_due_while_the_broker_is_away_is_held_and_sent_when_it_returns(broker, tmp_path):
    from celery.beat import ScheduleEntry

    from emailcenter.beat import OutboxScheduler
    from emailcenter.celery import app

    assert app.conf.beat_scheduler == "emailcenter.beat:OutboxScheduler"  # what beat runs
    scheduler = OutboxScheduler(app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    entry = ScheduleEntry(name="reap", task="diagnostics.tasks.reap_stuck_tests", schedule=60.0, app=app)
    broker.down = True
    scheduler.apply_entry(entry)
    held = OutboxMessage.objects.get()
    assert held.task == "diagnostics.tasks.reap_stuck_tests" and held.sent_at is None

    broker.down = False
    outbox.broker.down_until = 0  # the backoff has passed
    assert outbox.relay_due([held.queue]) == 1
    assert [task for task, *_ in broker.taken] == ["diagnostics.tasks.reap_stuck_tests"]
