"""Sending work to the Celery worker by task name.

Procedures (flows, autodetection) queue tasks through here rather than importing
the task module, which imports them: the tasks stay thin wrappers and nothing in
diagnostics imports in a circle. Messages carry primary keys or a domain only.

`send()` is what callers use: it goes through the outbox (core/outbox.py), in the
caller's transaction. `publish()` is the outbox relay's hand-over to the broker.
"""

from django.conf import settings

RUN_CONNECTION_TEST = "diagnostics.tasks.run_connection_test"
DETECT_DOMAIN = "diagnostics.tasks.detect_domain"
# Sent by a worker as it starts (emailcenter.celery): what a dead predecessor left.
REQUEUE_ORPHANED_TESTS = "diagnostics.tasks.requeue_orphaned_tests"
REQUEUE_ORPHANED_ROWS = "imports.tasks.requeue_orphaned_rows"


def send(task: str, *args, countdown: float = 0) -> None:
    """Queue one task on the app's queue, in the current transaction (the outbox)."""
    from . import outbox

    outbox.put(task, *args, countdown=countdown or 0)


def send_many(task: str, many: list[tuple]) -> None:
    """The same task for each argument tuple, written at once (a batch of health checks)."""
    from . import outbox

    outbox.put_many(task, many)


def publish(task: str, args, queue: str | None = None, task_id: str | None = None) -> None:
    """Hand one task to the broker now; raises when the broker cannot take it."""
    from celery import current_app  # on use: a command that queues nothing never loads Celery

    current_app.send_task(
        task, args=list(args), queue=queue or settings.CELERY_TASK_DEFAULT_QUEUE, task_id=task_id
    )
