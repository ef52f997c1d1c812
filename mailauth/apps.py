from django.apps import AppConfig


class MailauthConfig(AppConfig):
    name = "mailauth"
    verbose_name = "Mailbox OAuth"

    def ready(self) -> None:
        from core import credentials, secrets

        from . import checks, removal  # noqa: F401 (registers the system check and the delete hook)

        credential = self.get_model("OAuthCredential")
        secrets.register(credential, "access_token_encrypted", label="OAuth access token")
        secrets.register(credential, "refresh_token_encrypted", label="OAuth refresh token")
        credentials.register("oauth", _oauth_credentials)


def _oauth_credentials(mailbox):
    """A Bearer with a fresh access token (imported on use: the OAuth client is heavy)."""
    from .tokens import credentials_for

    return credentials_for(mailbox)
