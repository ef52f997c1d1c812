"""publish() and the hub, on the tier the run is on (SQLite event table, or Redis with
REDIS_URL): notices cross threads and connections as they do across processes."""

import logging
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from live.hub import DatabaseSource, Hub
from live.models import Event
from live.publish import prune, publish, publish_many

pytestmark = pytest.mark.django_db(transaction=True)

on_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (tier 2)")
on_database = pytest.mark.skipif(bool(settings.REDIS_URL), reason="the default tier (no REDIS_URL)")


def _subscribed(hub, listener, topics):
    """Subscribe and wait for the hub's first catch-up: from then on it is reading."""
    subscription = hub.subscribe(topics, listener)
    listener.wait_for(topics[0])
    listener.drain()
    return subscription


def test_it_wakes_the_subscribers_of_a_topic_and_no_others(hub, listener):
    _subscribed(hub, listener, ["test-1", "mailbox-1"])
    publish("test-2")
    publish("test-1")
    listener.wait_for("test-1")
    publish_many(["mailbox-1", "mailbox-2"])
    listener.wait_for("mailbox-1")
    assert listener.drain() == set()  # test-2 and mailbox-2 were nobody's business


def test_inside_a_transaction_it_tells_only_once_committed(hub, listener):
    _subscribed(hub, listener, ["test-5"])
    with transaction.atomic():
        publish("test-5")
        assert listener.drain(settle=0.4) == set()  # not visible yet: nothing to re-read
    listener.wait_for("test-5", timeout=2)


def test_a_rolled_back_change_is_never_announced(hub, listener):
    _subscribed(hub, listener, ["test-6"])
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("test-6")
        raise RuntimeError
    assert listener.drain(settle=0.5) == set()


def test_unsubscribed_streams_hear_nothing_more(hub, listener):
    subscription = _subscribed(hub, listener, ["test-7"])
    subscription.close()
    subscription.close()  # twice is harmless (a stream's finally may run after a cancel)
    publish("test-7")
    assert listener.drain(settle=0.5) == set() and hub.watchers("test-7") == 0


@on_database
def test_the_default_tier_carries_notices_in_the_event_table():
    before = Event.objects.count()
    publish_many(["test-8", "test-8", "mailbox-3"])  # duplicates collapse
    assert list(Event.objects.order_by("id").values_list("topic", flat=True))[before:] == [
        "test-8",
        "mailbox-3",
    ]


def test_old_events_are_pruned_and_recent_ones_kept():
    Event.objects.bulk_create([Event(topic="test-1"), Event(topic="test-2")])
    old = timezone.now() - timedelta(seconds=settings.LIVE_EVENT_RETENTION_SECONDS + 5)
    Event.objects.filter(topic="test-1").update(created_at=old)
    assert prune() == 1
    assert list(Event.objects.values_list("topic", flat=True)) == ["test-2"]


@on_database
def test_the_database_hub_reads_only_while_a_stream_listens(listener):
    sources = []

    class Counting(DatabaseSource):
        reads = 0

        def read(self, stop):
            Counting.reads += 1
            return super().read(stop)

    hub = Hub(make_source=lambda: sources.append(Counting()) or sources[-1])
    try:
        subscription = _subscribed(hub, listener, ["test-9"])
        assert sources[0].ready and Counting.reads > 0
        subscription.close()
        deadline = time.monotonic() + 2
        while sources[0].ready and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not sources[0].ready  # closed its connection, forgot its place
        reads = Counting.reads
        time.sleep(0.4)  # ten poll intervals
        assert Counting.reads == reads
        hub.subscribe(["test-9"], listener)  # the next stream wakes it up again
        listener.wait_for("test-9")
        assert sources[0].ready
    finally:
        hub.stop()


def test_publishing_to_a_redis_that_is_down_never_raises_and_logs_once(
    settings, closed_port, fresh_publisher, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    caplog.set_level(logging.WARNING, logger="live.publish")
    started = time.monotonic()
    for n in range(3):
        publish(f"test-{n}")
    assert time.monotonic() - started < 3
    assert len([r for r in caplog.records if "could not publish" in r.getMessage()]) == 1


def test_the_hub_outlives_a_redis_that_is_down(settings, closed_port, caplog, listener):
    real = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port}/0"
    caplog.set_level(logging.WARNING, logger="live.hub")
    hub = Hub()
    try:
        hub.subscribe(["test-10"], listener)
        time.sleep(1.5)  # a few retries
        assert hub._thread.is_alive()
        assert len([r for r in caplog.records if "cannot read from Redis" in r.getMessage()]) == 1
        if not real:
            return
        settings.REDIS_URL = real  # Redis is back: the hub reconnects and says "catch up"
        listener.wait_for("test-10", timeout=15)
        listener.drain()
        publish("test-10")
        listener.wait_for("test-10")
    finally:
        hub.stop()


def test_the_detection_task_announces_the_domain_when_it_is_done(hub, listener, monkeypatch):
    from diagnostics import autodetection, tasks

    _subscribed(hub, listener, ["detect-late.example"])
    calls = []
    monkeypatch.setattr(autodetection, "discover_and_store", lambda domain: calls.append(domain))
    tasks.detect_domain.run("late.example")
    listener.wait_for("detect-late.example")
    assert calls == ["late.example"]
