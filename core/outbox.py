"""The transactional outbox: every task the web, beat or a command queues.

`put()` writes the task as a row in the caller's transaction, so the task exists exactly
when the row it concerns does (a rolled-back test queues nothing, a committed one is
never lost). Once the transaction commits the same process hands it to the broker at
once (no added wait while the broker is up). What could not be handed over (the broker
is away, the process died first) is held: the relay loop (a thread in every worker and in
beat, `Relay`) sends it, with backoff, as soon as the broker takes messages again.

Several relays may run at once: each claims the rows it sends (`SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL, a conditional UPDATE on SQLite), so none is sent twice by two
relays. A relay that dies between sending and marking sent lets its claim lapse and the
row is sent again: tasks are idempotent (a test already under way or final is not run
again), so at-least-once is safe.

Apps learn what happened to their tasks through two signals, never by being imported
here: `held` (the broker refused it; the page can say why) and `handed` (the broker took
it after a wait; a test's deadline then starts).
"""

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from . import dispatch, workers
from .models import Heartbeat, OutboxMessage
from .outage import Outage

log = logging.getLogger(__name__)
broker_outage = Outage(log, "Task broker")
database_outage = Outage(log, "Database (outbox relay)")

# sender=task name; kwargs: args (the task's arguments), error (a short class name: never
# the broker's URL or reply, which may carry a password).
held = Signal()
# sender=task name; kwargs: batch, a list of (args, waited): waited is True when the task
# was held, or sent by a relay loop rather than by its writer.
handed = Signal()

LEASE = timedelta(seconds=30)  # a claim older than this was a relay that died
WRITER_LEASE = timedelta(seconds=10)  # the writer's own claim, for its send on commit
KEEP_SENT = timedelta(hours=1)
BATCH = 100


class _BrokerState:
    """This process's view of the broker: after a failure, skip the immediate send (the
    request would wait on a dead broker each time) until the relay loop gets through."""

    def __init__(self):
        self.down_until = 0.0
        self.backoff = 0.0
        self.last_error = ""

    def failed(self, error: str = "") -> float:
        self.last_error = error or self.last_error
        first = settings.OUTBOX_RETRY_MIN_SECONDS
        self.backoff = min(settings.OUTBOX_RETRY_MAX_SECONDS, self.backoff * 2 if self.backoff else first)
        self.down_until = time.monotonic() + self.backoff
        return self.backoff

    def worked(self) -> None:
        if self.backoff:
            log.warning("task broker reachable again: sending the held tasks")
        self.backoff, self.down_until, self.last_error = 0.0, 0.0, ""

    @property
    def down(self) -> bool:
        return time.monotonic() < self.down_until


broker = _BrokerState()


def put(task: str, *args, countdown: float = 0, queue: str | None = None) -> OutboxMessage:
    """Queue a task in the current transaction; it is sent once that commits."""
    return _put(task, [args], countdown, queue)[0]


def put_many(task: str, many: list[tuple]) -> list[OutboxMessage]:
    """`put` for a batch: one INSERT, and one hand-over after the commit."""
    return _put(task, many) if many else []


def _put(task: str, many: list[tuple], countdown: float = 0, queue: str | None = None) -> list[OutboxMessage]:
    now = timezone.now()
    now_too = not countdown and settings.OUTBOX_SEND_ON_COMMIT
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            task=task,
            args=list(args),
            queue=queue or settings.CELERY_TASK_DEFAULT_QUEUE,
            due_at=now + timedelta(seconds=countdown),
            # Claimed by this process, which sends it on commit: the relays leave it be
            # (they cannot see it before the commit anyway) unless the process dies first.
            claimed_until=now + WRITER_LEASE if now_too else None,
        )
        for args in many
    )
    if now_too:
        transaction.on_commit(lambda: hand_over(messages), robust=True)
    return messages


def hand_over(messages: list[OutboxMessage]) -> bool:
    """Right after the commit, in the process that wrote them: to the broker, unless it
    refused a moment ago; what it does not take is left to the relays, and said so."""
    sent, rest, refused = [], [], False
    for message in messages:
        if refused or broker.down:
            rest.append(message)
        elif _publish(message):
            sent.append(message)
        else:
            refused = True  # _publish held it and said why
    if sent:
        _mark_sent(sent, waited=False)
    if rest:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in rest]).update(claimed_until=None)
        for message in rest:
            held.send(message.task, args=message.args, error=broker.last_error)
    return not rest and not refused


def _publish(message: OutboxMessage) -> bool:
    """Hand one message to the broker; on a refusal hold it, say why, and back off."""
    try:
        dispatch.publish(message.task, message.args, queue=message.queue, task_id=f"outbox-{message.pk}")
    except Exception as exc:  # the broker is away: hold it, and say why
        backoff = broker.failed(type(exc).__name__)
        broker_outage.report(exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=None, attempts=F("attempts") + 1, last_error=type(exc).__name__[:200]
        )
        log.info("held %s %s; next try in %.2f s", message.task, message.args, backoff)
        held.send(message.task, args=message.args, error=type(exc).__name__)
        return False
    broker.worked()
    return True


def _mark_sent(messages: list[OutboxMessage], waited: bool) -> None:
    """One UPDATE for the lot, then the apps hear of each (after the broker has them all,
    so workers start while the notes are written)."""
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        sent_at=timezone.now(), claimed_until=None, attempts=F("attempts") + 1
    )
    by_task: dict[str, list] = {}
    for message in messages:
        by_task.setdefault(message.task, []).append(message)
    for task, batch in by_task.items():  # one note per task: the apps write their rows at once
        handed.send(task, batch=[(m.args, waited or m.attempts > 0) for m in batch])


def _claim(queues: list[str], limit: int) -> list[OutboxMessage]:
    """The oldest due rows no other relay holds, claimed for this one."""
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(sent_at__isnull=True, due_at__lte=now, queue__in=queues)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("pk")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            OutboxMessage.objects.filter(pk__in=ids).update(claimed_until=now + LEASE)
        else:  # SQLite: one writer at a time, and each claim re-checks its row
            ids = [
                pk
                for pk in due.values_list("pk", flat=True)[:limit]
                if OutboxMessage.objects.filter(pk=pk)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .update(claimed_until=now + LEASE)
            ]
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk"))


def relay_due(queues: list[str], limit: int = BATCH) -> int:
    """Send what is due on these queues; stops at the first refusal (the broker is away)
    and frees the rest of its claims. Returns how many were sent."""
    if (
        broker.down
        or not OutboxMessage.objects.filter(
            sent_at__isnull=True, due_at__lte=timezone.now(), queue__in=queues
        ).exists()
    ):
        return 0
    claimed = _claim(queues, limit)
    sent = []
    for index, message in enumerate(claimed):
        if not _publish(message):
            rest = [m.pk for m in claimed[index + 1 :]]
            OutboxMessage.objects.filter(pk__in=rest).update(claimed_until=None)
            break
        sent.append(message)
    if sent:
        _mark_sent(sent, waited=True)
    return len(sent)


def held_count(queues: list[str] | None = None) -> tuple[int, float | None]:
    """How many tasks wait to be sent, and the oldest one's age in seconds."""
    rows = OutboxMessage.objects.filter(sent_at__isnull=True, due_at__lte=timezone.now())
    if queues is not None:
        rows = rows.filter(queue__in=queues)
    oldest = rows.order_by("pk").values_list("created_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else None
    return rows.count(), age


def prune() -> int:
    """Sent rows past KEEP_SENT, and heartbeats of processes silent for a day (a beat
    names itself by its pid, so each restart adds one)."""
    now = timezone.now()
    Heartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT).delete()[0]


def heartbeat(name: str, role: str, started) -> None:
    now = timezone.now()
    fields = {"role": role, "beat_at": now, "started_at": started}
    Heartbeat.objects.update_or_create(name=name, defaults=fields)


class Relay:
    """The relay loop and the heartbeat, in a daemon thread of a worker or of beat.

    Every failure (the database locked or restarting, the broker away) is logged, at
    most once a minute, and retried; the thread never ends before its process does."""

    def __init__(self, role: str, queues: list[str], name: str | None = None):
        self.role = role
        self.queues = queues
        self.name = name or f"{role}@{socket.gethostname()}:{os.getpid()}"
        self.started = timezone.now()
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        self._last_prune = time.monotonic()

    def start(self) -> "Relay":
        if self.role == "worker":
            workers.set_this_worker(self.name)
            # Beaten before anything is claimed: a claim under this name is then never
            # older than this process's start unless an earlier process made it.
            with contextlib.suppress(Exception):  # the database away: the loop beats later
                heartbeat(self.name, self.role, self.started)
                self._last_beat = time.monotonic()
            connection.close()  # the starting thread's: it runs no tasks
        self._thread = threading.Thread(target=self._run, name=f"outbox-relay-{self.role}", daemon=True)
        self._thread.start()
        log.info("outbox relay started for %s on %s", self.name, ", ".join(self.queues))
        return self

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        pause = 0.0
        while not self.stop.wait(pause):
            pause = settings.OUTBOX_RELAY_INTERVAL
            try:
                self.step()
            except Exception as exc:  # the database is locked, restarting or gone: retry
                database_outage.report(exc)
                pause = settings.OUTBOX_RETRY_MAX_SECONDS
                with contextlib.suppress(Exception):  # a connection to a server that is gone
                    connection.close()
            else:
                if broker.down:
                    pause = min(pause, max(0.0, broker.down_until - time.monotonic()))
        connection.close()

    def step(self) -> int:
        close_old_connections()
        now = time.monotonic()
        if now - self._last_beat >= settings.HEARTBEAT_SECONDS:
            heartbeat(self.name, self.role, self.started)
            self._last_beat = now
        if now - self._last_prune >= 60:
            prune()
            self._last_prune = now
        sent = relay_due(self.queues)
        while sent == BATCH:
            sent = relay_due(self.queues)
        return sent
