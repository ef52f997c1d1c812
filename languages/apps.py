from django.apps import AppConfig


class LanguagesConfig(AppConfig):
    name = "languages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the sign-in handler)
