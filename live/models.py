from django.db import models


class Event(models.Model):
    """A topic changed. Only the default tier (no Redis) writes these: they carry the
    news from the worker to every web process, whose hub reads rows past the last id it
    saw. Rows older than a few minutes are pruned; nothing reads them after that."""

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=200, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.id})"
