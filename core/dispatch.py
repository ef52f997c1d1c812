"""Sending work to the Celery worker by task name.

Procedures (flows, autodetection) queue tasks through here rather than importing
the task module, which imports them: the tasks stay thin wrappers and nothing in
diagnostics imports in a circle. Messages carry primary keys or a domain only.
"""

from django.conf import settings

RUN_CONNECTION_TEST = "diagnostics.tasks.run_connection_test"
DETECT_DOMAIN = "diagnostics.tasks.detect_domain"


def send(task: str, *args, countdown: float | None = None) -> None:
    """Queue one task on the app's queue; raises when the broker cannot take it."""
    from celery import current_app  # on use: a command that queues nothing never loads Celery

    current_app.send_task(task, args=args, countdown=countdown, queue=settings.CELERY_TASK_DEFAULT_QUEUE)
