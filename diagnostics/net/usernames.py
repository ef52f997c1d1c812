"""Usernames and passwords as providers really take them."""

import re

from . import directory

_GROUPED = re.compile(r"^[a-z]{4}( [a-z]{4}){3}$", re.I)
# Providers that show app passwords in groups of four letters separated by spaces.
_GROUPED_APP_PASSWORDS = {"google", "icloud"}


def normalize_app_password(password: str, provider_id: str) -> str:
    """'abcd efgh ijkl mnop' as shown by Google or Apple is really 'abcdefghijklmnop'."""
    if provider_id in _GROUPED_APP_PASSWORDS and _GROUPED.match(password):
        return password.replace(" ", "")
    return password


def alternate_username(email: str, username: str, protocol: str) -> str:
    """The other username form the provider table expects, worth exactly one more try."""
    provider = directory.lookup(email)
    endpoint = getattr(provider, protocol, None) if provider else None
    if endpoint is None:
        return ""
    expected = directory.username_for(email, getattr(endpoint, "username", directory.ADDRESS))
    return expected if expected.lower() != username.lower() else ""
