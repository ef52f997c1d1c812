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
