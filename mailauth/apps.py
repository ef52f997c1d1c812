from django.apps import AppConfig


class MailauthConfig(AppConfig):
    name = "mailauth"
    verbose_name = "Mailbox OAuth"

    def ready(self) -> None:
        from core import credentials

        from . import checks, removal  # noqa: F401 (registers the system check and the delete hook)

        credentials.register("oauth", _oauth_credentials)


def _oauth_credentials(mailbox):
    """A Bearer with a fresh access token (imported on use: the OAuth client is heavy)."""
    from .tokens import credentials_for

    return credentials_for(mailbox)
