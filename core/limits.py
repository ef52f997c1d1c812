"""Limits that keep our workers from becoming a scanner or a password-guessing tool.

Counters live in core.counters: Redis when configured, else the database, so that every
web process and worker counts together. Keys hold hashes, never raw user names or
addresses.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core import counters


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_at: float  # epoch seconds
    paused: bool = False  # the wrong-password pause, not a rate limit

    def retry_in_minutes(self) -> int:
        return max(1, int((self.retry_at - time.time() + 59) // 60))


def local_time(epoch: float) -> str:
    """A moment as the page's clock shows it, with its offset: "10:42 (UTC+1)"."""
    moment = timezone.localtime(datetime.fromtimestamp(epoch, tz=UTC))
    offset = int(moment.utcoffset().total_seconds() // 60)
    hours, minutes = divmod(abs(offset), 60)
    zone = (
        "UTC"
        if not offset
        else f"UTC{'+' if offset > 0 else '-'}{hours}" + (f":{minutes:02}" if minutes else "")
    )
    return f"{moment:%H:%M} ({zone})"


def _key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(p.lower() for p in parts).encode()).hexdigest()[:32]
    return f"limits:{settings.MAIL_LIMITS_NAMESPACE}:{scope}:{digest}"


def count(scope: str, *parts: str, window: int) -> int:
    """How many hits this (scope, parts) has in the current window."""
    return counters.count(_key(scope, *parts), window)


def hit(scope: str, *parts: str, window: int) -> int:
    """Count one hit for (scope, parts); the count including it."""
    return counters.hit(_key(scope, *parts), window)


def reset(scope: str, *parts: str, window: int) -> None:
    counters.reset(_key(scope, *parts), window)


def allow(scope: str, *parts: str, limit: int, window: int) -> bool:
    """Count one attempt; False once more than `limit` were made in the window."""
    return hit(scope, *parts, window=window) <= limit


def window_end(window: int) -> float:
    return counters.window_end(window)


def _targets(mailbox) -> list[tuple[str, str]]:
    return [
        (mailbox.smtp_host, mailbox.login_name("smtp")),
        (mailbox.imap_host, mailbox.login_name("imap")),
    ]


def auth_paused(mailbox) -> Refusal | None:
    """Too many distinct passwords refused for this (host, username) in the window
    (core.refused remembers them): pause before trying another one."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    keys = {pair: _key("authfail", *pair) for pair in _targets(mailbox)}
    counts = counters.count_many(list(keys.values()), window)
    for (host, username), key in keys.items():
        if counts[key] >= settings.MAIL_AUTH_FAILURE_LIMIT:
            ends = window_end(window)
            words = {"host": host, "n": counts[key], "login": username, "until": local_time(ends)}
            return Refusal(
                _(
                    "The server at %(host)s refused %(n)s different passwords for %(login)s. To keep your "
                    "provider from locking the account, tests are paused until %(until)s. If you are sure "
                    "of the password, contact support"
                )
                % words,
                ends,
                paused=True,
            )
    return None


def check_and_count(mailbox, per_user: bool = True) -> Refusal | None:
    """Count one test against the per-user (unless the caller caps it), per-host and
    per-login limits."""
    window = settings.MAIL_TEST_RATE_WINDOW
    # Whole sentences, so that each translates as one.
    checks = (
        [
            (
                ("user", str(mailbox.user_id)),
                settings.MAIL_TEST_RATE_PER_USER,
                _("Too many connection tests for your account in a short time"),
            )
        ]
        if per_user
        else []
    )
    for host, username in _targets(mailbox):
        checks.append(
            (
                ("host", host),
                settings.MAIL_TEST_RATE_PER_HOST,
                _("Too many connection tests for the server %(host)s in a short time") % {"host": host},
            )
        )
        checks.append(
            (
                ("login", host, username),
                settings.MAIL_TEST_RATE_PER_LOGIN,
                _("Too many connection tests for %(login)s at %(host)s in a short time")
                % {"login": username, "host": host},
            )
        )
    # SMTP and IMAP often share a host and a username: count each limit once per test.
    unique = {_key(*parts): (limit, what) for parts, limit, what in checks}
    # Look first, so that a refused test costs the other limits nothing; then count, and
    # trust the count: two processes may both have seen room for one more.
    counts = counters.count_many(list(unique), window)
    for key, (limit, what) in unique.items():
        if counts[key] >= limit:
            return Refusal(what, window_end(window))
    # In key order: start_test counts inside its transaction, and two tests counting the
    # same hosts in opposite orders would deadlock on the counters' row locks.
    for key in sorted(unique):
        limit, what = unique[key]
        if counters.hit(key, window) > limit:
            return Refusal(what, window_end(window))
    return None


def record_auth_result(failed: set[tuple[str, str]], succeeded: set[tuple[str, str]]) -> None:
    """After a test: count wrong-password refusals per (host, username); a login that
    worked clears that pair's count."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    for host, username in failed:
        hit("authfail", host, username, window=window)
    for host, username in succeeded - failed:
        reset("authfail", host, username, window=window)
