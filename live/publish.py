"""Tell every web process that a topic changed: `publish("test-17")`.

Safe anywhere (web or worker, inside a transaction or not) and never raises: a lost
notification costs a page a refresh it would have made anyway at the next event, the
deadline or the stream's reconnect, whereas an exception here would fail a test run.
Inside a transaction the notice goes out on commit, so a page never re-reads a state
that is not visible yet.

With REDIS_URL: Redis PUBLISH on `live:<db>:<key prefix>:<topic>`. Without: a row in live.Event, which
each web process's hub polls.
"""

import itertools
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def channel_prefix() -> str:
    """`live:<redis db>:<cache key prefix>:`. Pub/sub channels are shared by every
    database number of a Redis server, so two deployments (or test runs) on one Redis
    must not hear each other's topics."""
    from urllib.parse import urlsplit

    db = urlsplit(settings.REDIS_URL).path.strip("/") or "0"
    return f"live:{db}:{settings.CACHES['default'].get('KEY_PREFIX', '')}:"


PRUNE_EVERY = 100  # events per process between two prunes of the event table

_counter = itertools.count()
_lock = threading.Lock()
_client = None
_failing = False  # log an outage once, not once per event


def publish(topic: str) -> None:
    publish_many([topic])


def publish_many(topics: list[str]) -> None:
    """Several topics at once: one insert or one Redis round trip (the step writer's
    batch touches many tests)."""
    topics = list(dict.fromkeys(topics))
    if not topics:
        return
    try:
        if connection.in_atomic_block:
            transaction.on_commit(lambda: _send(topics), robust=True)
        else:
            _send(topics)
    except Exception:
        log.exception("live: could not publish %s", topics)


def redis_client():
    """One client per process (it pools its connections); short timeouts, because a
    publisher must never wait long on a Redis that is down."""
    global _client
    with _lock:
        if _client is None:
            import redis

            _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return _client


def _send(topics: list[str]) -> None:
    global _failing
    try:
        if settings.REDIS_URL:
            prefix = channel_prefix()
            with redis_client().pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(prefix + topic, b"1")
                pipe.execute()
        else:
            _insert(topics)
    except Exception:
        if not _failing:
            log.warning("live: could not publish %s; pages will catch up later", topics, exc_info=True)
        _failing = True
    else:
        if _failing:
            log.info("live: publishing works again")
        _failing = False


def _insert(topics: list[str]) -> None:
    from .models import Event

    Event.objects.bulk_create(Event(topic=topic) for topic in topics)
    if next(_counter) % PRUNE_EVERY == 0:
        prune()


def prune() -> int:
    """Drop events older than LIVE_EVENT_RETENTION_SECONDS; hubs read new rows within
    a fraction of a second, so old ones only take space."""
    from .models import Event

    cutoff = timezone.now() - timedelta(seconds=settings.LIVE_EVENT_RETENTION_SECONDS)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
