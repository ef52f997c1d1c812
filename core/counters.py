"""Fixed-window counters every process shares: rate limits, pauses and throttles.

On Redis (when the default cache is Redis): INCR and EXPIRE in one MULTI, atomic
across processes. Otherwise a database row per (key, window), inserted or incremented
in place by one INSERT ... ON CONFLICT DO UPDATE ... RETURNING. Django's cache.incr
cannot serve: on the database cache it is a read then a write, so two processes
counting at once lose counts.

With Redis down, counters fail open (0: allow) and the outage is logged: a rate limit
must not turn a Redis outage into a site outage.
"""

import logging
import threading
import time
from datetime import UTC, datetime

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .models import Counter
from .outage import Outage

log = logging.getLogger(__name__)
outage = Outage(log, "Redis counters")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# Rows and keys outlive their window a little, so that a count read at the very end
# of a window is still there.
GRACE = 60
# Expired rows are deleted by whichever process counts next, at most this often.
PRUNE_EVERY = 300.0
_prune_lock = threading.Lock()
_next_prune = 0.0  # when this process prunes next (a schedule, not shared state)


def window_start(window: int, now: float | None = None) -> int:
    now = time.time() if now is None else now
    return int(now // window) * window


def window_end(window: int) -> float:
    """When the current window of this length ends (epoch seconds)."""
    return window_start(window) + window


def hit(key: str, window: int) -> int:
    """Count one more for key in the current window of `window` seconds; the new count."""
    start = window_start(window)
    redis = _redis()
    if redis is not None:
        return _redis_hit(redis, key, start, window)
    expires = datetime.fromtimestamp(start + window + GRACE, tz=UTC)
    value = _upsert(key, start, expires)
    _maybe_prune()
    return value


def _upsert(key: str, start: int, expires: datetime) -> int:
    """One statement, atomic on SQLite and PostgreSQL alike: insert the row at 1, or add
    1 to the row another process inserted, and read back the count this hit made."""
    db = router.db_for_write(Counter)
    connection = connections[db]
    table, key_, start_, value, expires_at = (
        connection.ops.quote_name(name)
        for name in (Counter._meta.db_table, "key", "window_start", "value", "expires_at")
    )
    # Only our own table and column names go into the text; the values are parameters.
    sql = (
        f"INSERT INTO {table} ({key_}, {start_}, {value}, {expires_at}) VALUES (%s, %s, 1, %s) "  # noqa: S608
        f"ON CONFLICT ({key_}, {start_}) DO UPDATE SET {value} = {table}.{value} + 1 RETURNING {value}"
    )
    expires_value = connection.ops.adapt_datetimefield_value(expires)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, start, expires_value])
        return cursor.fetchone()[0]


def count(key: str, window: int) -> int:
    """The count for key in the current window, without counting."""
    return count_many([key], window)[key]


def count_many(keys: list[str], window: int) -> dict[str, int]:
    """The counts for several keys in the current window, in one query or round trip."""
    keys = list(dict.fromkeys(keys))
    start = window_start(window)
    redis = _redis()
    if redis is not None:
        names = [_redis_key(redis, key, start) for key in keys]
        try:
            # Django's RedisCache replicates (write to the first server, read any): one MGET.
            values = redis._cache.get_client(names[0]).mget(names) if names else []
        except REDIS_DOWN as exc:
            outage.report(exc)
            values = [None] * len(keys)
        return {key: int(value or 0) for key, value in zip(keys, values, strict=True)}
    found = dict(Counter.objects.filter(key__in=keys, window_start=start).values_list("key", "value"))
    return {key: found.get(key, 0) for key in keys}


def reset(key: str, window: int) -> None:
    """Forget key's count in the current window."""
    start = window_start(window)
    redis = _redis()
    if redis is not None:
        try:
            name = _redis_key(redis, key, start)
            redis._cache.get_client(name, write=True).delete(name)
        except REDIS_DOWN as exc:
            outage.report(exc)
        return
    Counter.objects.filter(key=key, window_start=start).delete()


def _redis() -> RedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def _redis_key(backend: RedisCache, key: str, start: int) -> str:
    return backend.make_and_validate_key(f"counter:{key}:{start}")


def _redis_hit(backend: RedisCache, key: str, start: int, window: int) -> int:
    name = _redis_key(backend, key, start)
    try:
        pipe = backend._cache.get_client(name, write=True).pipeline(transaction=True)
        pipe.incr(name)
        pipe.expireat(name, start + window + GRACE)
        value, _ = pipe.execute()
    except REDIS_DOWN as exc:
        outage.report(exc)
        return 0
    return int(value)


def _maybe_prune() -> None:
    global _next_prune
    now = time.monotonic()
    with _prune_lock:
        if now < _next_prune:
            return
        _next_prune = now + PRUNE_EVERY
    # One indexed DELETE; rows of windows that ended over a minute ago.
    Counter.objects.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
