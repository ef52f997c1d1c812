from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from diagnostics.transport import ServerSettings

from . import crypto

SECURITY_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None (unencrypted)")]
PORT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(65535)]


class Mailbox(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        TESTING = "testing", "Testing"
        CONNECTED = "connected", "Connected"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailboxes")
    email = models.EmailField(max_length=254)
    username = models.CharField(max_length=254, blank=True)
    smtp_host = models.CharField("SMTP server", max_length=253)
    smtp_port = models.PositiveIntegerField("SMTP port", validators=PORT_VALIDATORS, default=587)
    smtp_security = models.CharField(
        "SMTP encryption", max_length=10, choices=SECURITY_CHOICES, default="starttls"
    )
    imap_host = models.CharField("IMAP server", max_length=253)
    imap_port = models.PositiveIntegerField("IMAP port", validators=PORT_VALIDATORS, default=993)
    imap_security = models.CharField(
        "IMAP encryption", max_length=10, choices=SECURITY_CHOICES, default="ssl"
    )
    password_encrypted = models.TextField(editable=False)
    provider_id = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.NEW)
    sent_folder = models.CharField(max_length=500, blank=True)
    # True when the user picked the Sent folder by hand: later tests keep that choice.
    sent_folder_chosen = models.BooleanField(default=False)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["email", "pk"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.email

    def __repr__(self) -> str:  # never show the ciphertext in debug output
        return f"<Mailbox {self.pk} {self.email}>"

    def set_password(self, raw: str) -> None:
        self.password_encrypted = crypto.encrypt(raw)

    def get_password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    def login_name(self) -> str:
        return self.username or self.email

    def smtp_settings(self) -> ServerSettings:
        return ServerSettings(self.smtp_host, self.smtp_port, self.smtp_security, self.login_name())

    def imap_settings(self) -> ServerSettings:
        return ServerSettings(self.imap_host, self.imap_port, self.imap_security, self.login_name())

    def settings_snapshot(self) -> dict:
        """The settings as entered, for support and history; never the password."""
        return {
            "email": self.email,
            "username": self.login_name(),
            "smtp": self.smtp_settings().as_dict(),
            "imap": self.imap_settings().as_dict(),
            "provider": self.provider_id,
        }

    def latest_test(self):
        return self.tests.order_by("-created_at", "-pk").first()
