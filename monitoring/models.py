"""A mailbox's health: its state, every check, who to tell and how."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import crypto


class State(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    DEGRADED = "degraded", _("Degraded")
    DISCONNECTED = "disconnected", _("Disconnected")
    PAUSED = "paused", _("Paused")


class Health(models.Model):
    """One row per monitored mailbox: where it stands and when it is checked next."""

    mailbox = models.OneToOneField(
        "accounts.Mailbox", on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    state = models.CharField(max_length=12, choices=State, default=State.CONNECTED)
    # Seconds into each interval at which this mailbox is checked: spreads checks evenly.
    offset = models.PositiveIntegerField(default=0)
    # None: not scheduled (paused, or disconnected for a cause only the owner can fix).
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Set while a check is queued or running, so that another never stacks on it.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Transient failures in a row (the backoff step).
    failures = models.PositiveSmallIntegerField(default=0)
    last_check_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    error_reason = models.CharField(max_length=40, blank=True)
    # Whether the last failure may pass by itself (then checks go on while disconnected).
    transient = models.BooleanField(default=False)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "health"
        indexes = [
            models.Index(fields=["next_check_at", "mailbox"], name="health_due"),
            models.Index(fields=["state", "mailbox"], name="health_state"),
            models.Index(fields=["error_code", "error_reason"], name="health_error"),
            # The fleet view's order (latest change first), whole fleet and per state.
            models.Index(fields=["-state_changed_at", "-mailbox"], name="health_changed"),
            models.Index(fields=["state", "-state_changed_at", "-mailbox"], name="health_state_changed"),
        ]

    def __str__(self) -> str:
        return f"health of {self.mailbox_id}: {self.state}"


class Check(models.Model):
    """One health check, kept for history (thinned by retention)."""

    mailbox = models.ForeignKey("accounts.Mailbox", on_delete=models.CASCADE, related_name="checks")
    test = models.OneToOneField(
        "diagnostics.ConnectionTest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_check",
    )
    state = models.CharField(max_length=12, choices=State)  # the mailbox's state after this check
    ok = models.BooleanField()
    transient = models.BooleanField(default=False)
    error_code = models.CharField(max_length=30, blank=True)
    error_reason = models.CharField(max_length=40, blank=True)
    server_reply = models.CharField(max_length=300, blank=True)
    ms = models.PositiveIntegerField(default=0)  # the login test's duration
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["mailbox", "-created_at"], name="check_mailbox_created")]

    def __str__(self) -> str:
        return f"check of {self.mailbox_id} at {self.created_at:%Y-%m-%d %H:%M}: {self.state}"


class AlertPreference(models.Model):
    """How one person hears about their mailboxes, and their optional webhook."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately, one email per change")
        DIGEST = "digest", _("Once a day, a digest")
        NONE = "none", _("Never (the banner in the app only)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="alert_preference"
    )
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.IMMEDIATE)
    # The per-person webhook (there is no organisation model; a team shares one account's hook).
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alerts for {self.user_id}: {self.mode}"

    def set_webhook_secret(self, raw: str) -> None:
        self.webhook_secret_encrypted = crypto.encrypt(raw) if raw else ""

    def webhook_secret(self) -> str:
        return crypto.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""


class Alert(models.Model):
    """One change of state someone must hear about: the email and webhook outbox."""

    class Kind(models.TextChoices):
        DOWN = "down", _("Disconnected")
        UP = "up", _("Working again")
        DIGEST = "digest", _("Daily digest")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mailbox = models.ForeignKey("accounts.Mailbox", null=True, blank=True, on_delete=models.CASCADE)
    health_check = models.ForeignKey(
        Check, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind)
    created_at = models.DateTimeField(auto_now_add=True)
    # None: not emailed (yet): waiting for the digest, capped, or the person chose none.
    emailed_at = models.DateTimeField(null=True, blank=True)
    skipped = models.CharField(max_length=20, blank=True)  # why no email: "digest", "cap", "none"

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="alert_user_created"),
            models.Index(fields=["kind", "created_at"], name="alert_kind_created"),  # the fleet's chart
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert for {self.user_id}"


class WebhookDelivery(models.Model):
    """One signed POST to a person's webhook, retried with backoff by the worker."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    body = models.TextField()
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up = models.BooleanField(default=False)
    last_error = models.CharField(max_length=300, blank=True)
    # Held by the task posting it (webhooks.deliver): a duplicate task (the outbox delivers at
    # least once) finds it taken and posts nothing. Past this time the holder is presumed dead.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"webhook {self.pk} for {self.user_id}"


class HostSlot(models.Model):
    """One of MAIL_HEALTH_PER_HOST login slots for a provider host, shared by every worker.

    Taken by one conditional UPDATE (free, or its lease ran out), so two processes can
    never hold the same slot, and a worker that died frees its slots when the lease ends.
    """

    host = models.CharField(max_length=253)
    slot = models.PositiveSmallIntegerField()
    holder = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["host", "slot"], name="hostslot_unique")]

    def __str__(self) -> str:
        return f"{self.host}#{self.slot}"


class BasicAuthNotice(models.Model):
    """The one notice an owner gets before Microsoft's Basic SMTP AUTH cut-off, per
    mailbox still signing in to Microsoft with a password (monitoring.readiness)."""

    mailbox = models.OneToOneField(
        "accounts.Mailbox", on_delete=models.CASCADE, primary_key=True, related_name="basic_auth_notice"
    )
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Basic auth notice for mailbox {self.mailbox_id}"
