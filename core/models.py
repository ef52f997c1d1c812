from django.db import models


class Counter(models.Model):
    """One fixed-window counter (rate limits, pauses, throttles) on the database tier.

    Rows are incremented in place with `value = value + 1`, so that processes that hit
    the same counter at once never lose a count; expired rows are pruned now and then.
    """

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="epoch seconds")
    value = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="counter_key_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}={self.value}"


class OutboxMessage(models.Model):
    """One task to hand to the broker, written in the transaction of the row it concerns.

    A relay (core/outbox.py) sends it once the transaction commits, and again, with
    backoff, for as long as the broker is away: a task queued during an outage, or by a
    process that died before it sent, is held here, not lost. Sent rows are kept an
    hour for support, then pruned.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)  # primary keys and names only, never a secret
    queue = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(help_text="not sent before (a countdown)")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="a relay is sending it")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "queue", "due_at"], name="outbox_unsent_due")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} {'sent' if self.sent_at else 'held'}"


class Heartbeat(models.Model):
    """A worker's or beat's "still alive", written every few seconds by its relay thread;
    the health endpoint reads it."""

    name = models.CharField(max_length=200, unique=True)
    role = models.CharField(max_length=20, db_index=True)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.role} {self.name} at {self.beat_at}"
