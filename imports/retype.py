"""Fixing one failed row in place: the person retypes its password (and username) and
the worker tests that row again, like every other row (by id, after commit)."""

from django.db import transaction
from django.utils import timezone

from core import crypto
from live.publish import publish

from . import rows as R
from .flows import CHECK_JOB, QUEUE_WAIT, _send
from .models import ImportJob, ImportRow

MAX_PASSWORD = 1024


def can_retype(job: ImportJob, row: ImportRow) -> bool:
    """A failed row of an import still being checked (its secrets are dropped on import)."""
    return job.status == ImportJob.Status.CHECKING and row.shown_state == R.FAILED and row.mailbox_id is None


def retype(job: ImportJob, row_id: int, password: str, username: str) -> ImportRow | None:
    """Store the retyped password (encrypted) and username and queue the row's test again;
    None when the row cannot be retyped (not failed, imported, another job's)."""
    password = password[:MAX_PASSWORD]
    if not password:
        return None
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
        row = ImportRow.objects.select_for_update().filter(pk=row_id, job_id=job.pk).first()
        if locked is None or row is None or not can_retype(locked, row):
            return None
        row.password_encrypted = crypto.encrypt(password)
        row.username = username.strip()[:254]
        row.state, row.code, row.reason, row.message, row.fix = R.QUEUED, "", "", "", ""
        row.deadline_at, row.tested_at = timezone.now() + QUEUE_WAIT, None
        row.save(
            update_fields=[
                "password_encrypted", "username", "state", "code", "reason", "message", "fix", "deadline_at",
                "tested_at",
            ]
        )  # fmt: skip
        transaction.on_commit(lambda: _send(job.pk, CHECK_JOB, job.pk))
    publish(f"import-{job.pk}")
    return row
