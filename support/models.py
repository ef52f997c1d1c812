import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SupportRequest(models.Model):
    """A user's request for help with one failed connection test.

    What support needs (the guide's list) is copied from the test when the request
    is made, so the request still shows it after the mailbox is edited or removed.
    Nothing here ever holds the mailbox password.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for user")
        RESOLVED = "resolved", _("Resolved")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests"
    )
    mailbox = models.ForeignKey(
        "accounts.Mailbox", on_delete=models.SET_NULL, null=True, blank=True, related_name="support_requests"
    )
    test = models.ForeignKey(
        "diagnostics.ConnectionTest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_requests",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    # The support agent who owns the request; anyone on the queue may take it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    # Since when the side whose turn it is has been waiting: the user's last message
    # while open, our last answer while waiting for the user (see flows).
    waiting_since = models.DateTimeField(default=timezone.now)
    contact_email = models.EmailField("reply to", max_length=254)
    message = models.TextField()
    # The copy of the failed test: address, provider, settings, errors, steps, transcript.
    email = models.EmailField(max_length=254)
    provider_id = models.CharField(max_length=40, blank=True)
    settings = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    # ",smtp_auth,timeout,": filters by error code on every database (no JSON lookups).
    error_codes = models.CharField(max_length=300, blank=True)
    steps = models.JSONField(default=list)
    transcript = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="support_status_created"),
            models.Index(fields=["user", "-created_at"], name="support_user_created"),
            models.Index(fields=["status", "waiting_since"], name="support_status_waiting"),
        ]
        permissions = [("answer_requests", "Can see and answer every support request")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.email} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.error_codes = "".join(f",{e.get('code', '')}" for e in self.errors) + "," if self.errors else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("support_detail", args=[self.pk])


def _screenshot_path(instance: "Screenshot", filename: str) -> str:
    # Random names: nothing the user typed ends up in a path.
    return f"support/{instance.request_id}/{uuid.uuid4().hex}.{instance.extension}"


class Screenshot(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Uploaded by the user")
        SNAPSHOT = "snapshot", _("Settings snapshot")

    EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
    CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="screenshots")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.UPLOAD)
    # Stored through the default storage, which no URL serves: see support.views.requests.screenshot.
    file = models.FileField(upload_to=_screenshot_path, max_length=200)
    format = models.CharField(max_length=8)  # PNG, JPEG or WEBP, as Pillow read and wrote it
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"screenshot {self.pk} of request {self.request_id}"

    def get_absolute_url(self) -> str:
        return reverse("support_screenshot", args=[self.pk])

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.format, "bin")

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.format]


class Message(models.Model):
    """One entry of the conversation: a support reply or a user's follow-up."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_support = models.BooleanField(default=False)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{'support' if self.from_support else 'user'} message on request {self.request_id}"


class InternalNote(models.Model):
    """A note between support agents on a request. Never shown to the user."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"internal note on request {self.request_id}"


class SavedReply(models.Model):
    """An answer support gives often, inserted into a reply and edited there.
    Managed in the Django admin."""

    title = models.CharField(max_length=100, unique=True)
    text = models.TextField(max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "saved replies"

    def __str__(self) -> str:
        return self.title


@receiver(post_delete, sender=Screenshot)
def _delete_screenshot_file(sender, instance: Screenshot, **kwargs) -> None:
    # Only once the deletion is committed: a rolled-back delete keeps its file.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
