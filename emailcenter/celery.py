"""The Celery application. Tasks live in each app's tasks.py."""

import logging
import os
import threading
import time

from celery import Celery
from celery.signals import beat_embedded_init, beat_init, worker_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")

app = Celery("emailcenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _keep_connections(**_) -> None:
    """A worker's threads live as long as the worker: each keeps its database connection
    between tasks (CONN_MAX_AGE=WORKER_CONN_MAX_AGE) instead of opening one per task and
    per batch of steps, which on SQLite cost about 90 ms from the click to "Connected"
    (bench/e2e.py). Web processes keep CONN_MAX_AGE (under ASGI a request's connection
    ends with it). PostgreSQL's pool already keeps connections warm, and an explicit
    CONN_MAX_AGE in the environment wins."""
    from django.conf import settings
    from django.db import connections

    database = connections.settings["default"]
    if "pool" not in database.get("OPTIONS", {}) and "CONN_MAX_AGE" not in os.environ:
        database["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE


_relays: list = []


@worker_ready.connect
def _start_worker_relay(sender=None, **_) -> None:
    """Each worker relays the held tasks of the queues it consumes, and beats."""
    from core import workers
    from core.outbox import Relay

    queues = sorted(sender.app.amqp.queues.consume_from or [sender.app.conf.task_default_queue])
    _relays.append(Relay("worker", queues, name=workers.name_for(sender.hostname)).start())
    _sweep_orphans()


def _sweep_orphans() -> None:
    """A worker that starts may replace one that died mid-test (`make run` and compose
    restart it under the same name): the tests it left run again now, not at the next
    reaper run. Queued through the outbox, so a broker still away delays it, never loses it."""
    from django.db import connection, transaction

    from core import dispatch

    try:
        with transaction.atomic():
            dispatch.send(dispatch.REQUEUE_ORPHANED_TESTS)
            dispatch.send(dispatch.REQUEUE_ORPHANED_ROWS)
    except Exception:  # the database away: beat's reaper sweeps as well
        logging.getLogger(__name__).warning("could not queue the orphaned-test sweep", exc_info=True)
    finally:
        connection.close()


@beat_init.connect
def _start_beat_relay(sender=None, **_) -> None:
    """Beat relays the default queue too, so held tasks go out with no worker running."""
    from core.outbox import Relay

    _relays.append(Relay("beat", [app.conf.task_default_queue]).start())


@worker_shutdown.connect
def _stop_relays(**_) -> None:
    while _relays:
        _relays.pop().close()


@beat_embedded_init.connect
def _end_with_the_worker(**_) -> None:
    """The beat of `worker --beat` is a child process of the worker. Were the worker killed
    (and `make run` start a new one, with its own beat), it would live on as a second beat
    and every periodic task would run twice: it ends when its worker is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        logging.getLogger(__name__).warning("beat: its worker %s is gone; ending with it", parent)
        os._exit(0)

    threading.Thread(target=watch, name="beat-follows-worker", daemon=True).start()
