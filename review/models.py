from django.conf import settings
from django.db import models


class Review(models.Model):
    """An admin marked a failed test as reviewed. No row means not reviewed.

    The test's own primary key is this row's key, so "reviewed or not" is one
    indexed join and a test can be reviewed only once.
    """

    test = models.OneToOneField(
        "diagnostics.ConnectionTest", on_delete=models.CASCADE, primary_key=True, related_name="review"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("review_failures", "Can review failed connection tests")]

    def __str__(self) -> str:
        return f"test {self.test_id} reviewed"


class Note(models.Model):
    """An admin's note on a test, shown on its review page."""

    test = models.ForeignKey(
        "diagnostics.ConnectionTest", on_delete=models.CASCADE, related_name="review_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"note on test {self.test_id}"
