"""The worker's broker consumer, reconnecting within a second once the broker is back.

Celery reconnects with kombu's defaults: 2 s after the first failure, then 4, 6... up to
30 s between tries. After a Redis restart a worker could then wait half a minute before
it takes the tasks the outbox handed over the moment Redis returned. Here the tries come
every `BROKER_RECONNECT_MAX_SECONDS` at most (and forever: broker_connection_max_retries
is None), so held tests start within about a second of the broker's return.
"""

import functools

from celery.worker.consumer import Consumer as CeleryConsumer
from django.conf import settings


class Consumer(CeleryConsumer):
    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(
            conn.ensure_connection,
            interval_start=0,
            interval_step=settings.BROKER_RECONNECT_MAX_SECONDS / 2,
            interval_max=settings.BROKER_RECONNECT_MAX_SECONDS,
        )
        return super().ensure_connected(conn)
