"""An import job and its rows: the only state, so that a page reload or a worker
restart loses nothing. Passwords (and the raw cells, until the columns are mapped)
are encrypted with the mailboxes' keys and dropped at import or expiry."""

import json
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import crypto
from diagnostics.net import errors
from diagnostics.net.words import N_

from . import rows as R


class ImportJob(models.Model):
    class Status(models.TextChoices):
        MAPPING = "mapping", _("Choose the columns")
        CHECKING = "checking", _("Checking")
        IMPORTED = "imported", _("Imported")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports")
    status = models.CharField(max_length=10, choices=Status, default=Status.MAPPING)
    filename = models.CharField(max_length=200, blank=True)
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    warnings = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    drafts_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename or 'pasted'})"

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = timezone.now() + timedelta(hours=settings.IMPORT_RETENTION_HOURS)
        super().save(*args, **kwargs)

    def counts(self) -> dict[str, int]:
        rows = list(self.rows.values_list("state", "deadline_at"))
        now = timezone.now()
        found: dict[str, int] = {}
        for state, deadline in rows:
            if state in (R.QUEUED, R.TESTING) and deadline is not None and deadline < now:
                state = R.FAILED
            found[state] = found.get(state, 0) + 1
        found["total"] = len(rows)
        found["unfinished"] = sum(found.get(s, 0) for s in R.UNFINISHED)
        return found


class ImportRow(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()
    cells_encrypted = models.TextField(blank=True, editable=False)
    password_encrypted = models.TextField(blank=True, editable=False)
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    username = models.CharField(max_length=254, blank=True)
    smtp_username = models.CharField(max_length=254, blank=True)
    imap_username = models.CharField(max_length=254, blank=True)
    smtp_host = models.CharField(max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_security = models.CharField(max_length=10, blank=True)
    imap_host = models.CharField(max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(null=True, blank=True)
    imap_security = models.CharField(max_length=10, blank=True)
    provider_id = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=12, default=R.PENDING, db_index=True)
    problems = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    code = models.CharField(max_length=30, blank=True)
    reason = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    fix = models.TextField(blank=True)
    sent_folder = models.CharField(max_length=500, blank=True)
    sso = models.CharField(max_length=12, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    # The worker process testing the row (core.workers) and since when; a row whose worker
    # died mid-test is tested again, once (orphans.py).
    worker = models.CharField(max_length=200, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    reruns = models.PositiveSmallIntegerField(default=0)
    # Set while the outbox holds the row's task (the broker is away): its deadline waits,
    # and the page says the row waits for the queue (queueing.py).
    held_since = models.DateTimeField(null=True, blank=True)
    mailbox = models.ForeignKey("accounts.Mailbox", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [models.UniqueConstraint("job", "number", name="import_row_once")]

    def __str__(self) -> str:
        return f"row {self.number}: {self.email or '?'} ({self.state})"

    def __repr__(self) -> str:  # never the ciphertext in debug output
        return f"<ImportRow {self.pk} row {self.number} {self.state}>"

    NO_WORKER = N_("No worker finished testing this row in time (the worker may have stopped). Check again.")

    WAITING_FOR_QUEUE = N_(
        "Waiting for the queue: the task broker cannot be reached right now. The row is tested "
        "by itself as soon as it is back; you can leave this page."
    )

    @property
    def held(self) -> bool:
        return self.state == R.QUEUED and self.held_since is not None

    @property
    def overdue(self) -> bool:
        return (
            self.state in (R.QUEUED, R.TESTING)
            and not self.held
            and self.deadline_at is not None
            and self.deadline_at < timezone.now()
        )

    @property
    def shown_state(self) -> str:
        return R.FAILED if self.overdue else self.state

    @property
    def shown_message(self) -> str:
        if self.held:
            return self.WAITING_FOR_QUEUE
        return self.NO_WORKER if self.overdue else self.message

    @property
    def state_label(self) -> str:
        return gettext(R.STATE_LABELS.get(self.shown_state, self.shown_state))

    @property
    def title(self) -> str:
        if self.overdue:
            return errors.kind(errors.TIMEOUT).title
        if not self.code or self.code == "duplicate":
            return ""
        return errors.kind(self.code).title

    def set_cells(self, cells: list[str]) -> None:
        self.cells_encrypted = crypto.encrypt(json.dumps(cells, ensure_ascii=False))

    def get_cells(self) -> list[str]:
        return json.loads(crypto.decrypt(self.cells_encrypted)) if self.cells_encrypted else []

    def candidate(self) -> R.Candidate:
        found = R.Candidate(self.number, user_id=self.job.user_id if self.job_id else None)
        for name in R.Candidate.MODEL_FIELDS:
            setattr(found, name, getattr(self, name))
        return found

    def take(self, candidate: R.Candidate) -> None:
        for name, value in candidate.fields().items():
            setattr(self, name, value)
