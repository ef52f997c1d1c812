from django.apps import AppConfig


class MailauthConfig(AppConfig):
    name = "mailauth"
    verbose_name = "Mailbox OAuth"

    def ready(self) -> None:
        from . import checks, removal  # noqa: F401 (registers the system check and the delete hook)
