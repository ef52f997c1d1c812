from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .net import errors


class ConnectionTest(models.Model):
    """One run of the SMTP+IMAP test for a mailbox, with its steps and errors."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Testing"
        CONNECTED = "connected", "Connected"
        FAILED = "failed", "Failed"

    FINAL = (Status.CONNECTED, Status.FAILED)

    mailbox = models.ForeignKey("accounts.Mailbox", on_delete=models.CASCADE, related_name="tests")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED, db_index=True)
    settings = models.JSONField(default=dict)
    provider_id = models.CharField(max_length=40, blank=True, db_index=True)
    sent_folder = models.CharField(max_length=500, blank=True)
    # Every selectable folder the IMAP server listed, so the user can pick another.
    folders = models.JSONField(default=list, blank=True)
    # The redacted protocol conversation, for the user, support staff and admins.
    transcript = models.TextField(blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="test_status_created"),
            models.Index(fields=["provider_id", "-created_at"], name="test_provider_created"),
            models.Index(fields=["mailbox", "-created_at"], name="test_mailbox_created"),
        ]

    def __str__(self) -> str:
        return f"test {self.pk} of {self.mailbox_id}: {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def waiting_for_worker(self) -> bool:
        """Queued for a while: the queue or every worker may be down."""
        return self.status == self.Status.QUEUED and timezone.now() - self.created_at > timedelta(seconds=15)

    def default_deadline(self):
        # Both protocols run at once, so one probe deadline plus a margin for queueing.
        return timezone.now() + timedelta(seconds=settings.MAIL_PROBE_DEADLINE * 2 + 30)


class TestStep(models.Model):
    __test__ = False  # a model, not a pytest class

    test = models.ForeignKey(ConnectionTest, on_delete=models.CASCADE, related_name="steps")
    protocol = models.CharField(max_length=8)
    name = models.CharField(max_length=20)
    ok = models.BooleanField()
    ms = models.PositiveIntegerField()
    detail = models.CharField(max_length=600, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.protocol} {self.name}: {'ok' if self.ok else 'failed'}"


class TestError(models.Model):
    __test__ = False  # a model, not a pytest class

    test = models.ForeignKey(ConnectionTest, on_delete=models.CASCADE, related_name="errors")
    code = models.CharField(max_length=30, db_index=True)
    reason = models.CharField(max_length=40, blank=True, db_index=True)
    protocol = models.CharField(max_length=8)
    step = models.CharField(max_length=20, blank=True)
    detail = models.TextField(blank=True)
    server_reply = models.TextField(blank=True)
    suggestion = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["code", "reason"], name="error_code_reason")]

    def __str__(self) -> str:
        return f"{self.code} ({self.protocol})"

    @property
    def kind(self) -> errors.ErrorKind:
        return errors.kind(self.code)

    @property
    def title(self) -> str:
        return self.kind.title

    @property
    def help(self) -> list[str]:
        return errors.help_for(self.code, self.reason)

    @property
    def suggestion_fields(self) -> dict:
        return {k: v for k, v in (self.suggestion or {}).items() if k != "message"}
