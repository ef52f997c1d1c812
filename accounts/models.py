from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core import credentials, crypto
from diagnostics.net.credentials import Credential, Password
from diagnostics.net.mailbox import MailboxSettings

SECURITY_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("None (unencrypted)"))]
PORT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(65535)]


class Mailbox(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        TESTING = "testing", _("Testing")
        CONNECTED = "connected", _("Connected")
        FAILED = "failed", _("Failed")

    class AuthMethod(models.TextChoices):
        PASSWORD = "password", _("Password")
        OAUTH = "oauth", _("Sign in with the provider")  # tokens in mailauth.OAuthCredential

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailboxes")
    email = models.EmailField(max_length=254)
    username = models.CharField(max_length=254, blank=True)
    # Optional per-protocol usernames (iCloud wants the local part for IMAP only).
    smtp_username = models.CharField(_("SMTP username"), max_length=254, blank=True)
    imap_username = models.CharField(_("IMAP username"), max_length=254, blank=True)
    smtp_host = models.CharField(_("SMTP server"), max_length=253)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), validators=PORT_VALIDATORS, default=587)
    smtp_security = models.CharField(
        _("SMTP encryption"), max_length=10, choices=SECURITY_CHOICES, default="starttls"
    )
    imap_host = models.CharField(_("IMAP server"), max_length=253)
    imap_port = models.PositiveIntegerField(_("IMAP port"), validators=PORT_VALIDATORS, default=993)
    imap_security = models.CharField(
        _("IMAP encryption"), max_length=10, choices=SECURITY_CHOICES, default="ssl"
    )
    password_encrypted = models.TextField(editable=False)
    auth_method = models.CharField(max_length=10, choices=AuthMethod, default=AuthMethod.PASSWORD)
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
        verbose_name_plural = _("mailboxes")
        constraints = [
            # One row per address and user: connecting it again offers the existing one.
            models.UniqueConstraint(Lower("email"), "user", name="mailbox_one_per_address"),
        ]

    def __str__(self) -> str:
        return self.email

    def __repr__(self) -> str:  # never show the ciphertext in debug output
        return f"<Mailbox {self.pk} {self.email}>"

    @classmethod
    def already_connected(cls, user, email: str, but=None):
        """The user's mailbox for this address (in any case), other than `but`."""
        return cls.objects.filter(user=user, email__iexact=email).exclude(pk=but).first()

    def set_password(self, raw: str) -> None:
        self.password_encrypted = crypto.encrypt(raw)

    def get_password(self) -> str:
        return crypto.decrypt(self.password_encrypted)

    def credential(self) -> Credential:
        """What the probes log in with: the password, or for another auth method what
        the app keeping its secret registered with core.credentials (OAuth: mailauth).
        Raises core.crypto.DecryptionError when a stored secret cannot be decrypted."""
        if self.auth_method == self.AuthMethod.PASSWORD:
            return Password(self.get_password())
        return credentials.fetch(self)

    def connection_settings(self) -> MailboxSettings:
        """The settings the probes use, as one immutable value."""
        return MailboxSettings.of(self)

    def login_name(self, protocol: str = "") -> str:
        return self.connection_settings().login_name(protocol)

    # The fields a suggested fix may change, and nothing else.
    FIXABLE = ("smtp_security", "smtp_port", "imap_security", "imap_port", "smtp_username", "imap_username")

    def settings_snapshot(self) -> dict:
        """The settings as entered, for support and history; never the password."""
        built = self.connection_settings()
        return {
            "email": self.email,
            "username": built.login_name(),
            "smtp_username": built.login_name("smtp"),
            "imap_username": built.login_name("imap"),
            "smtp": built.server("smtp").as_dict(),
            "imap": built.server("imap").as_dict(),
            "provider": self.provider_id,
        }

    def latest_test(self):
        return self.tests.order_by("-created_at", "-pk").first()
