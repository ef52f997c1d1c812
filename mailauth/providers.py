"""Google and Microsoft as OAuth providers for mailboxes: settings, scopes, servers.

Scopes ask for mail and an address, nothing more. Microsoft gets the Outlook
resource's scopes only, never Graph's: one token serves one resource.
"""

from dataclasses import dataclass

from django.conf import settings

from diagnostics.net import directory

GOOGLE, MICROSOFT = "google", "microsoft"
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"
MICROSOFT_IMAP_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All"
MICROSOFT_SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
GOOGLE_METADATA_URL = "https://accounts.google.com/.well-known/openid-configuration"
MICROSOFT_METADATA_URL = "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class OAuthProvider:
    id: str
    label: str
    scope: str
    mail_scope: str
    authorize_params: dict
    client_id: str
    client_secret: str
    metadata_url: str
    prefix: str  # of its settings: GOOGLE_OAUTH / MICROSOFT_OAUTH

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def missing(self) -> list[str]:
        """The variables an administrator must still set."""
        wanted = {
            f"{self.prefix}_CLIENT_ID": self.client_id,
            f"{self.prefix}_CLIENT_SECRET": self.client_secret,
        }
        return [name for name, value in wanted.items() if not value]

    def endpoints(self) -> tuple:
        """(smtp, imap) from the provider directory, or the test override."""
        override = getattr(settings, "OAUTH_MAIL_SERVERS", {}).get(self.id)
        if override:
            return override["smtp"], override["imap"]
        entry = directory.by_id(self.id)
        return entry.oauth_smtp, entry.oauth_imap


def get(provider_id: str) -> OAuthProvider | None:
    """The provider as configured now (settings are read on each call: tests change them)."""
    if provider_id == GOOGLE:
        return OAuthProvider(
            GOOGLE,
            "Google",
            f"{GOOGLE_MAIL_SCOPE} openid email",
            GOOGLE_MAIL_SCOPE,
            # offline: a refresh token comes back; consent: again after a revocation.
            {"access_type": "offline", "prompt": "consent"},
            settings.GOOGLE_OAUTH_CLIENT_ID,
            settings.GOOGLE_OAUTH_CLIENT_SECRET,
            settings.GOOGLE_OAUTH_METADATA_URL or GOOGLE_METADATA_URL,
            "GOOGLE_OAUTH",
        )
    if provider_id == MICROSOFT:
        tenant = settings.MICROSOFT_OAUTH_TENANT or "common"
        return OAuthProvider(
            MICROSOFT,
            "Microsoft",
            f"offline_access {MICROSOFT_IMAP_SCOPE} {MICROSOFT_SMTP_SCOPE} openid email",
            MICROSOFT_IMAP_SCOPE,
            {},
            settings.MICROSOFT_OAUTH_CLIENT_ID,
            settings.MICROSOFT_OAUTH_CLIENT_SECRET,
            settings.MICROSOFT_OAUTH_METADATA_URL or MICROSOFT_METADATA_URL.format(tenant=tenant),
            "MICROSOFT_OAUTH",
        )
    return None


def all_providers() -> list[OAuthProvider]:
    return [get(GOOGLE), get(MICROSOFT)]
