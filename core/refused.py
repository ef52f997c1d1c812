"""Passwords a mail server refused, remembered so that we never send one again.

Providers lock an account that keeps receiving a refused password, so a password a
server refused is never sent to it again within MAIL_AUTH_FAILURE_WINDOW: retyping it
is answered at once, without contacting the server. A different password is always
tried: the pause that protects the account counts distinct refused passwords per
(host, login), not attempts (limits.auth_paused), so a corrected typo connects at once.

What is kept is a keyed hash: HMAC-SHA256 under a key derived from SECRET_KEY, over
the host, the login and the password. It cannot be reversed without the key, is never
logged, and expires with the window. It lives in the shared cache (Redis, or the
database cache), so every web process and worker sees it.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import limits

# The cap's warning starts when this many refused passwords are left.
WARN_WHEN_LEFT = 2


@dataclass(frozen=True)
class Refused:
    """A password this (host, login) already refused, and when."""

    host: str
    login: str
    at: float  # epoch seconds
    protocol: str = ""  # "smtp" or "imap": which server refused it


def _fingerprint(host: str, login: str, password: str) -> str:
    value = "\0".join((host.lower(), login.lower(), password))
    return salted_hmac("core.refused.password", value, algorithm="sha256").hexdigest()


def _key(host: str, login: str, password: str) -> str:
    return f"refused:{settings.MAIL_LIMITS_NAMESPACE}:{_fingerprint(host, login, password)}"


def already_refused(pairs, password: str) -> Refused | None:
    """The first (host, login) among `pairs` that already refused this password."""
    if not password:
        return None
    pairs = list(dict.fromkeys((h, u) for h, u in pairs if h))
    keys = {_key(host, login, password): (host, login) for host, login in pairs}
    found = cache.get_many(list(keys))
    for key, (host, login) in keys.items():
        if key in found:
            value = found[key]
            if isinstance(value, dict):
                return Refused(host, login, float(value["at"]), value.get("protocol", ""))
            return Refused(host, login, float(value))
    return None


def remember(host: str, login: str, password: str, protocol: str = "") -> int:
    """Keep that this (host, login) refused this password; the number of distinct
    passwords it refused in the window (the same one twice counts once)."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    value = {"at": time.time(), "protocol": protocol}
    if password and cache.add(_key(host, login, password), value, timeout=window):
        return limits.hit("authfail", host, login, window=window)
    return limits.count("authfail", host, login, window=window)


def left(host: str, login: str) -> int:
    """How many more distinct refused passwords this (host, login) may have before the pause."""
    used = limits.count("authfail", host, login, window=settings.MAIL_AUTH_FAILURE_WINDOW)
    return max(0, settings.MAIL_AUTH_FAILURE_LIMIT - used)


def warning(host: str, login: str) -> str:
    """After a refusal: how many tries are left, once few are; empty before that."""
    remaining = left(host, login)
    if remaining > WARN_WHEN_LEFT:
        return ""
    ends = limits.window_end(settings.MAIL_AUTH_FAILURE_WINDOW)
    minutes = limits.Refusal("", ends).retry_in_minutes()
    words = {
        "login": login,
        "host": host,
        "until": limits.local_time(ends),
        "minutes": minutes,
        "n": remaining,
    }
    if remaining == 0:
        return (
            _(
                "That was the last try: tests for %(login)s at %(host)s are paused until %(until)s, "
                "in about %(minutes)s minutes."
            )
            % words
        )
    return (
        ngettext(
            "%(n)s try left before we pause tests for %(login)s at %(host)s for about %(minutes)s minutes.",
            "%(n)s tries left before we pause tests for %(login)s at %(host)s for about %(minutes)s minutes.",
            remaining,
        )
        % words
    )


def message(refused: Refused) -> str:
    return _("This password was already refused at %(when)s. Type the new one.") % {
        "when": limits.local_time(refused.at)
    }


def record(failed: dict, succeeded, password: str) -> dict[tuple[str, str], str]:
    """After a login test with `password`: remember it for each (host, login) that refused
    it (failed: {(host, login): protocol}), and clear the count of each that let it in.
    Returns the warning for each refusing pair (empty while many tries are left)."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    warnings = {}
    for (host, login), protocol in failed.items():
        remember(host, login, password, protocol)
        warnings[(host, login)] = warning(host, login)
    for host, login in set(succeeded) - set(failed):
        limits.reset("authfail", host, login, window=window)
    return warnings
