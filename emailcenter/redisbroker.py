"""The Redis tier's broker: kombu's Redis transport, telling a closed connection apart.

When Redis goes away while a task is under way, kombu's channel closes; putting the
unacknowledged task back, or acknowledging it once it is done, then asks the closed
connection for its address and fails with an AttributeError. Celery calls that
unrecoverable and the worker exits for good. Here the channel raises Redis' own
ConnectionError instead, which Celery and kombu treat as the connection loss it is:
logged, and the worker reconnects.
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
