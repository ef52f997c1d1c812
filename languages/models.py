from django.conf import settings
from django.db import models


class LanguagePreference(models.Model):
    """The language a person reads the app in.

    `chosen`: they picked it with the language switcher, so it wins over the browser's
    Accept-Language. Otherwise it is the language their browser asked for when they last
    signed in, kept for what reaches them without a browser (alert emails, support replies).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference"
    )
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    chosen = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
