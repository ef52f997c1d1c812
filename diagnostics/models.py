from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .net import errors


class Delivery(models.TextChoices):
    """A test's delivery check (the round trip), in the order it goes through them."""

    CHECKING = "checking", _("Checking delivery")
    DELIVERED = "delivered", _("Delivered to the inbox")
    DELIVERED_TO_SPAM = "delivered_to_spam", _("Delivered to spam")
    NOT_DELIVERED = "not_delivered", _("Not delivered")
    FAILED = "failed", _("Delivery check failed")
    SKIPPED = "skipped", _("Not run")


# Outcomes that deserve a warning beside Connected.
DELIVERY_PROBLEMS = (Delivery.DELIVERED_TO_SPAM, Delivery.NOT_DELIVERED, Delivery.FAILED)


class ConnectionTestQuerySet(models.QuerySet):
    def pending(self):
        """Queued or running and within its deadline: its result is still to come (a test
        past its deadline is the reaper's, and the page already shows it as failed)."""
        return self.filter(status__in=ConnectionTest.UNDER_WAY).filter(
            models.Q(deadline_at__isnull=True) | models.Q(deadline_at__gt=timezone.now())
        )


class ConnectionTest(models.Model):
    """One run of the SMTP+IMAP test for a mailbox, with its steps and errors."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Testing")
        CONNECTED = "connected", _("Connected")
        FAILED = "failed", _("Failed")

    FINAL = (Status.CONNECTED, Status.FAILED)
    UNDER_WAY = (Status.QUEUED, Status.RUNNING)

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
    # Set while the outbox holds the test's task (the broker could not take it): the
    # deadline has not started, and the page says the test waits for the queue and why.
    held_since = models.DateTimeField(null=True, blank=True)
    # When a held task finally reached the broker (its deadline counts from then).
    handed_at = models.DateTimeField(null=True, blank=True)
    # The worker process that took it (core.workers), and how often it was run again
    # because that process died mid-test: once, then it ends failed (a test that kills its
    # worker is not run forever).
    worker = models.CharField(max_length=200, blank=True, default="")
    reruns = models.PositiveSmallIntegerField(default=0)
    # A result that came after this test's attempt had been shown as failed is recorded
    # as a new attempt, pointing back here, rather than changing what was shown.
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="later_attempts"
    )
    # The verification: capabilities with every test; the round trip when asked for
    # (the first test of a mailbox asks by default); the sender domain's DNS and the tracking CNAME.
    round_trip_requested = models.BooleanField(default=False)
    # The person asked for a Sent folder to be created when the test finds none.
    create_sent_folder = models.BooleanField(default=False)
    capabilities = models.JSONField(default=dict, blank=True)
    round_trip = models.JSONField(null=True, blank=True)
    domain_checks = models.JSONField(null=True, blank=True)
    tracking_check = models.JSONField(null=True, blank=True)
    # The round trip runs after the verdict (the test is already Connected): its outcome is a
    # warning beside the verdict, never a change of it. Empty: this test did not run one.
    delivery_status = models.CharField(max_length=20, choices=Delivery, blank=True, default="")
    # While the checks that follow the verdict (the round trip, the sender domain's DNS)
    # run: when they must have ended. Null once they have (or when there were none).
    checks_until = models.DateTimeField(null=True, blank=True)
    delivery_finished_at = models.DateTimeField(null=True, blank=True)

    objects = ConnectionTestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="test_status_created"),
            models.Index(fields=["provider_id", "-created_at"], name="test_provider_created"),
            models.Index(fields=["mailbox", "-created_at"], name="test_mailbox_created"),
        ]

    def __str__(self) -> str:
        return f"test {self.pk} of {self.mailbox_id}: {self.status}"

    # Shown while a test whose worker died mid-test runs again on another (core.workers).
    RERUN = gettext_noop("The worker running this test stopped before it ended; the test runs again.")
    # Shown for a test past its deadline that no worker finished. Computed when the
    # page is read, so no page waits on the reaper (which needs a worker too).
    NO_WORKER = gettext_noop(
        "No worker finished this test in time. The test workers may be down; run the test again later."
    )
    # Shown while the outbox holds the test: the broker is the cause, not the workers.
    WAITING_FOR_QUEUE = gettext_noop(
        "Waiting for the queue: the task broker cannot be reached right now. The test will "
        "start by itself as soon as it is back; you can leave this page."
    )

    @property
    def held(self) -> bool:
        return self.status == self.Status.QUEUED and self.held_since is not None

    @property
    def overdue(self) -> bool:
        return (
            self.status not in self.FINAL
            and not self.held
            and self.deadline_at is not None
            and self.deadline_at < timezone.now()
        )

    @property
    def effective_status(self) -> str:
        """The status a person sees: an overdue test has failed, whatever the row says."""
        return self.Status.FAILED if self.overdue else self.status

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label

    @property
    def status_message(self) -> str:
        if self.held:
            return gettext(self.WAITING_FOR_QUEUE)
        return gettext(self.NO_WORKER) if self.overdue else self.message

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL or self.overdue

    # A test queued this long says that no worker has picked it up yet.
    WAITING_NOTICE_AFTER = timedelta(seconds=15)

    @property
    def waiting_for_worker(self) -> bool:
        """Queued for a while: the queue or every worker may be down."""
        return (
            self.status == self.Status.QUEUED
            and not self.overdue
            and not self.held
            and timezone.now() - (self.handed_at or self.created_at) > self.WAITING_NOTICE_AFTER
        )

    @property
    def checking(self) -> bool:
        """The checks after the verdict (round trip, DNS) are still running, in time."""
        return self.checks_until is not None and self.checks_until > timezone.now()

    @property
    def settled(self) -> bool:
        """Nothing about this test will change any more: the page stops listening."""
        return self.is_final and not self.checking

    @property
    def effective_delivery(self) -> str:
        """The delivery check as a person sees it: one that outlived its deadline failed."""
        if self.delivery_status == Delivery.CHECKING and not self.checking:
            return Delivery.FAILED
        return self.delivery_status

    @property
    def delivery_wait_seconds(self) -> int:
        """The wait this test's round trip applies (stored with it, else the setting)."""
        stored = (self.round_trip or {}).get("wait_seconds")
        return round(stored if stored is not None else settings.MAIL_ROUND_TRIP_DEADLINE)

    def changes_by_itself_at(self) -> list:
        """When the page's view of this test changes with no write at all (the
        "no worker yet" notice, the deadline), so that a page waiting on it re-reads then."""
        if self.status in self.FINAL and self.checks_until is not None:
            return [self.checks_until]
        if self.status in self.FINAL or self.deadline_at is None or self.held:
            return []  # a held test changes when the relay hands it over, which publishes
        if self.status == self.Status.QUEUED:
            return [(self.handed_at or self.created_at) + self.WAITING_NOTICE_AFTER, self.deadline_at]
        return [self.deadline_at]

    def default_deadline(self):
        # Both protocols run at once, so one probe deadline plus a margin for queueing. The
        # verdict is written then; the round trip has a deadline of its own (checks_until).
        return timezone.now() + timedelta(seconds=settings.MAIL_PROBE_DEADLINE * 2 + 30)


def round_trip_budget() -> float:
    """The longest a round trip takes: the wait, its sessions, the Sent check and cleanup."""
    return settings.MAIL_ROUND_TRIP_DEADLINE + settings.MAIL_PROBE_DEADLINE + settings.MAIL_PROBE_TIMEOUT


class MailboxVerification(models.Model):
    """What verifying a mailbox taught us that the sending side needs: whether the provider
    files sent mail in Sent itself or we must APPEND a copy, and the tracking domain."""

    class SentFiling(models.TextChoices):
        AUTOMATIC = "automatic", _("The provider files a copy in Sent")
        NEEDS_APPEND = "needs_append", _("We must file a copy in Sent (IMAP APPEND)")
        UNKNOWN = "unknown", _("Not known yet")

    mailbox = models.OneToOneField("accounts.Mailbox", on_delete=models.CASCADE, related_name="verification")
    sent_filing = models.CharField(max_length=12, choices=SentFiling, default=SentFiling.UNKNOWN)
    sent_filing_checked_at = models.DateTimeField(null=True, blank=True)
    # A custom open/click tracking host (a CNAME of TRACKING_CNAME_TARGET); empty: none.
    tracking_domain = models.CharField(max_length=253, blank=True)
    # The newest finished delivery check (round trip) of any of the mailbox's tests: what a
    # mailbox's state reads for its delivery warning. Empty: never checked.
    delivery_status = models.CharField(max_length=20, choices=Delivery, blank=True, default="")
    delivery_checked_at = models.DateTimeField(null=True, blank=True)
    delivery_test = models.ForeignKey(
        ConnectionTest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"verification of {self.mailbox_id}: {self.sent_filing}"


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

    @classmethod
    def save_reports(cls, test: ConnectionTest, reports) -> None:
        """A test's errors (diagnostics.net.errors.ErrorReport) as rows."""
        cls.objects.bulk_create(
            cls(
                test=test,
                code=r.code,
                reason=r.reason,
                protocol=r.protocol,
                step=r.step,
                detail=r.detail,
                server_reply=r.server_reply,
                suggestion=r.suggestion,
            )
            for r in reports
        )

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
