"""One hub per process: one thread learns which topics changed and wakes the streams
that watch them.

Streams never touch the database or Redis themselves: a thousand idle pages cost a
thousand sockets and queues, plus this one thread and its one connection.

- Redis tier: one pub/sub connection, PSUBSCRIBE `live:<db>:<key prefix>:*`.
- Default tier: the thread polls live.Event for rows past the last id it saw, every
  LIVE_POLL_INTERVAL seconds, and only while some stream is open; with none it closes
  its database connection and sleeps until the next subscriber.

Whenever the thread (re)starts reading, after an idle spell or an outage, it wakes every
stream for all its topics: events may have been missed meanwhile, and a page that
re-reads its partial cannot get a wrong answer, only a redundant one.
"""

import logging
import threading
from collections.abc import Callable, Iterable

from django.conf import settings

log = logging.getLogger(__name__)

MAX_BACKOFF = 10.0


class Subscription:
    __slots__ = ("topics", "callback", "_hub", "closed")

    def __init__(self, hub: "Hub", topics: frozenset[str], callback: Callable[[str], None]):
        self._hub = hub
        self.topics = topics
        self.callback = callback
        self.closed = False

    def notify(self, topic: str) -> None:
        try:
            self.callback(topic)
        except Exception:  # e.g. the stream's event loop is gone: nobody is listening
            log.debug("live: dropped %s for a closed stream", topic, exc_info=True)

    def close(self) -> None:
        self._hub.unsubscribe(self)


class DatabaseSource:
    name = "the live event table"

    def __init__(self):
        self.last_id: int | None = None

    @property
    def ready(self) -> bool:
        return self.last_id is not None

    def start(self) -> None:
        from django.db.models import Max

        from .models import Event

        self.last_id = Event.objects.aggregate(last=Max("id"))["last"] or 0

    def read(self, stop: threading.Event) -> set[str]:
        from .models import Event

        rows = list(
            Event.objects.filter(id__gt=self.last_id).order_by("id").values_list("id", "topic")[:1000]
        )
        if rows:
            self.last_id = rows[-1][0]
        else:
            stop.wait(settings.LIVE_POLL_INTERVAL)
        return {topic for _, topic in rows}

    def close(self) -> None:
        from django.db import connection

        self.last_id = None
        try:
            connection.close()  # this thread's own connection: no stream holds one
        except Exception:
            log.debug("live: error closing the hub's database connection", exc_info=True)


class RedisSource:
    name = "Redis"

    def __init__(self):
        self.pubsub = None
        self.prefix = ""

    @property
    def ready(self) -> bool:
        return self.pubsub is not None

    def start(self) -> None:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, health_check_interval=30)
        from .publish import channel_prefix

        self.prefix = channel_prefix()
        pubsub = client.pubsub()
        try:
            pubsub.psubscribe(self.prefix + "*")
            # Wait for the confirmation: from then on nothing published is missed.
            for _ in range(50):
                message = pubsub.get_message(timeout=0.1)
                if message and message["type"] == "psubscribe":
                    self.pubsub = pubsub
                    return
            raise TimeoutError("no PSUBSCRIBE confirmation from Redis")
        except BaseException:
            pubsub.close()
            raise

    def read(self, stop: threading.Event) -> set[str]:
        topics = set()
        timeout = 1.0  # wake now and then to notice that the last stream has gone
        for _ in range(1000):
            message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            if message is None:
                break
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            topics.add(channel.removeprefix(self.prefix))
            timeout = 0.0
        return topics

    def close(self) -> None:
        pubsub, self.pubsub = self.pubsub, None
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:
                log.debug("live: error closing the Redis subscription", exc_info=True)


def default_source():
    return RedisSource() if settings.REDIS_URL else DatabaseSource()


class Hub:
    def __init__(self, make_source: Callable[[], object] = default_source):
        self._make_source = make_source
        self._lock = threading.Lock()
        self._by_topic: dict[str, set[Subscription]] = {}
        self._subscriptions: set[Subscription] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()

    def subscribe(self, topics: Iterable[str], callback: Callable[[str], None]) -> Subscription:
        """callback(topic) runs in the hub's thread: it must only hand the topic over
        (queue.Queue.put, or loop.call_soon_threadsafe for asyncio)."""
        subscription = Subscription(self, frozenset(topics), callback)
        with self._lock:
            self._subscriptions.add(subscription)
            for topic in subscription.topics:
                self._by_topic.setdefault(topic, set()).add(subscription)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="live-hub", daemon=True)
                self._thread.start()
        self._wake.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription.closed:
                return
            subscription.closed = True
            self._subscriptions.discard(subscription)
            for topic in subscription.topics:
                watchers = self._by_topic.get(topic)
                if watchers is not None:
                    watchers.discard(subscription)
                    if not watchers:
                        del self._by_topic[topic]

    def watchers(self, topic: str) -> int:
        """How many open streams of this process watch the topic."""
        with self._lock:
            return len(self._by_topic.get(topic, ()))

    def dispatch(self, topics: Iterable[str]) -> None:
        with self._lock:
            targets = [(s, t) for t in topics for s in self._by_topic.get(t, ())]
        for subscription, topic in targets:
            subscription.notify(topic)

    def dispatch_all(self) -> None:
        with self._lock:
            targets = [(s, t) for s in self._subscriptions for t in s.topics]
        for subscription, topic in targets:
            subscription.notify(topic)

    def stop(self, timeout: float = 5) -> None:
        """For tests: end the thread (a daemon otherwise lives as long as the process)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        source = self._make_source()
        failures = 0
        try:
            while not self._stop.is_set():
                if not self._subscriptions:
                    source.close()
                    self._wake.wait()
                    self._wake.clear()
                    continue
                try:
                    if not source.ready:
                        source.start()
                        self.dispatch_all()
                    changed = source.read(self._stop)
                except Exception:
                    if failures == 0:
                        log.warning("live: cannot read from %s; retrying", source.name, exc_info=True)
                    failures += 1
                    source.close()
                    self._stop.wait(min(0.25 * 2**failures, MAX_BACKOFF))
                    continue
                if failures:
                    log.warning("live: reading from %s again after %s failures", source.name, failures)
                    failures = 0
                if changed:
                    self.dispatch(changed)
        finally:
            source.close()


hub = Hub()
