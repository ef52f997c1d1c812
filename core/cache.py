"""Django's cache backends, made to degrade: when the store fails, every call answers
as if the key were missing and logs the error (once a minute), instead of raising.

Redis: down or slow, pages keep working; the pool's short socket timeouts (settings
CACHES OPTIONS) keep a dead Redis from stalling a page. Database: a table `migrate`
has not made yet (`manage.py diagnose` on a fresh clone) costs the cache, not the command.
"""

import logging
from contextlib import nullcontext

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connections, router, transaction

from .outage import Outage

log = logging.getLogger(__name__)
outage = Outage(log, "Redis cache")
db_outage = Outage(log, "Database cache")


def _down() -> tuple[type[Exception], ...]:
    """Redis's "not reachable" errors. Looked up when something failed: the redis client
    is heavy to import, and a process on the database cache never needs it."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError)


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _down() as exc:
            outage.report(exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except _down() as exc:
            outage.report(exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except _down() as exc:
            outage.report(exc)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except _down() as exc:
            outage.report(exc)
            # Fail open: callers use add as a "first one does the work" mark, and with
            # nobody able to see the mark, doing the work beats waiting for it forever.
            return True

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except _down() as exc:
            outage.report(exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except _down() as exc:
            outage.report(exc)
            return list(data)  # the keys that were not stored

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except _down() as exc:
            outage.report(exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except _down() as exc:
            outage.report(exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except _down() as exc:
            outage.report(exc)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except _down() as exc:
            outage.report(exc)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).") from exc

    def clear(self):
        try:
            return super().clear()
        except _down() as exc:
            outage.report(exc)
            return False


class ResilientDatabaseCache(DatabaseCache):
    def _safely(self, default, method, *args):
        db = router.db_for_write(self.cache_model_class)
        # Inside a transaction, a savepoint: a failed cache query must not abort it.
        guard = transaction.atomic(using=db) if connections[db].in_atomic_block else nullcontext()
        try:
            with guard:
                return method(*args)
        except DatabaseError as exc:
            db_outage.report(exc)
            return default

    def get_many(self, keys, version=None):
        return self._safely({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._safely(False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._safely(None, super().set, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(True, super().add, key, value, timeout, version)  # fail open, as above

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._safely(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._safely(None, super().delete_many, keys, version)

    def clear(self):
        self._safely(None, super().clear)
