"""The secret a stored mailbox logs in with, found through the app that keeps it.

The ground floor knows no app: a mailbox's password sits in its own encrypted column,
and any other way of signing in (OAuth tokens, kept by `mailauth`) registers a fetcher
for its `auth_method` in its AppConfig.ready(), as apps register their live topics.
The connection test asks here, so it never imports the app that keeps the secret.
"""

from collections.abc import Callable

Fetch = Callable[[object], object]

_fetchers: dict[str, Fetch] = {}


def register(auth_method: str, fetch: Fetch) -> None:
    """fetch(mailbox) -> the credential the probes log in with (may raise
    core.crypto.DecryptionError when a stored secret cannot be decrypted)."""
    _fetchers[auth_method] = fetch


def for_mailbox(mailbox):
    """The mailbox's credential: through its auth method's fetcher, else its password."""
    fetch = _fetchers.get(mailbox.auth_method)
    return fetch(mailbox) if fetch is not None else mailbox.get_password()
