"""Which way in a provider that takes no plain password offers here, before anyone clicks.

Gmail, Google Workspace, Outlook.com and Microsoft 365 connect with Sign in with
Google/Microsoft when this installation has an OAuth client for them. Without one:
- Google still takes an app password (with 2-Step Verification on), so the connect
  form opens on that path: Google's servers filled in, the field named "App password",
  tested like any password mailbox;
- Microsoft takes no password from mail apps at all, so the person is told so plainly
  and can ask support to enable Sign in with Microsoft.
Nobody but staff ever sees the configuration's names.
"""

from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from diagnostics.net.directory import Provider
from diagnostics.net.directory.model import NEEDS_PREPARATION, SSO_REQUIRED, Endpoint

from . import providers

SIGN_IN = "sign_in"  # the provider's own sign-in page (an OAuth client is set up)
APP_PASSWORD = "app_password"  # noqa: S105 (a path's name, not a secret)
REQUEST = "request"  # no way in yet: ask support to enable the sign-in

# Google's help on app passwords (the templates link each step to Google's own page).
GOOGLE_APP_PASSWORD_HELP_URL = "https://support.google.com/accounts/answer/185833"  # noqa: S105

APP_PASSWORD_NOTES = (
    _("Sign in with Google is not available here yet, so Gmail connects with an app password:"),
    _("1. Turn on 2-Step Verification in your Google Account."),
    _("2. Create an app password (Google Account, Security, App passwords) and type it below."),
    _("Google Workspace: your administrator must also allow IMAP access for your organisation."),
)


def path_for(provider: Provider | None) -> str:
    """SIGN_IN, APP_PASSWORD or REQUEST for a provider that needs its own sign-in; ""
    for every other provider (its password path is the usual one)."""
    if provider is None or provider.policy != SSO_REQUIRED:
        return ""
    oauth = providers.get(provider.sso)
    if oauth is not None and oauth.configured:
        return SIGN_IN
    return APP_PASSWORD if provider.sso == providers.GOOGLE else REQUEST


def google_servers() -> tuple[Endpoint, Endpoint]:
    """Google's servers for mail apps (smtp.gmail.com:465, imap.gmail.com:993)."""
    return providers.get(providers.GOOGLE).endpoints()


def connectable(provider: Provider | None) -> Provider | None:
    """The provider as the connect form applies it here: Google without an OAuth client
    becomes a password provider that needs an app password."""
    if path_for(provider) != APP_PASSWORD:
        return provider
    smtp, imap = google_servers()
    return replace(
        provider,
        policy=NEEDS_PREPARATION,
        smtp=smtp,
        imap=imap,
        notes=tuple(str(note) for note in APP_PASSWORD_NOTES),
        help_url=GOOGLE_APP_PASSWORD_HELP_URL,
    )


def apply(detection) -> str:
    """Put the path into an autodetection answer for the connect form (on the Google app
    password path: the servers and the provider's app-password notes); the path's name."""
    from diagnostics.net.transport import ServerSettings

    provider = detection.provider if detection is not None else None
    path = path_for(provider)
    if path == APP_PASSWORD:
        detection.provider = connectable(provider)
        smtp, imap = google_servers()
        detection.smtp = ServerSettings(smtp.host, smtp.port, smtp.security, detection.email)
        detection.imap = ServerSettings(imap.host, imap.port, imap.security, detection.email)
    return path
