"""The secret a stored mailbox logs in with, when it is not its own password.

The ground floor knows no app: a mailbox's password sits in its own encrypted column,
and any other way of signing in (OAuth tokens, kept by `mailauth`) registers a fetcher
for its `auth_method` in its AppConfig.ready(), as apps register their live topics.
`Mailbox.credential()` asks here, so the connection test never imports the app that
keeps the secret.
"""

from collections.abc import Callable

Fetch = Callable[[object], object]

_fetchers: dict[str, Fetch] = {}


def register(auth_method: str, fetch: Fetch) -> None:
    """fetch(mailbox) -> the credential the probes log in with (may raise
    core.crypto.DecryptionError when a stored secret cannot be decrypted)."""
    _fetchers[auth_method] = fetch


def fetch(mailbox):
    """The credential of a mailbox whose auth method is not a password."""
    try:
        found = _fetchers[mailbox.auth_method]
    except KeyError:
        raise LookupError(f"no app keeps credentials for auth method {mailbox.auth_method!r}") from None
    return found(mailbox)
