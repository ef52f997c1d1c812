"""Limits that keep our workers from becoming a scanner or a password-guessing tool.

Counters live in Django's cache (Redis when configured, so every web process and
worker shares them). Keys hold hashes, never raw user names or addresses.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_at: float  # epoch seconds

    def retry_in_minutes(self) -> int:
        return max(1, int((self.retry_at - time.time() + 59) // 60))


def _key(scope: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(p.lower() for p in parts).encode()).hexdigest()[:32]
    return f"limits:{settings.MAIL_LIMITS_NAMESPACE}:{scope}:{digest}"


def _window(limit_key: str, window: int) -> tuple[str, float]:
    start = int(time.time() // window) * window
    return f"{limit_key}:{start}", start + window


def count(scope: str, *parts: str, window: int) -> int:
    """How many hits this (scope, parts) has in the current window."""
    return _count(_key(scope, *parts), window)


def hit(scope: str, *parts: str, window: int) -> int:
    return _hit(_key(scope, *parts), window)


def window_end(window: int) -> float:
    return _window("", window)[1]


def _count(key: str, window: int) -> int:
    bucket, _ = _window(key, window)
    return cache.get(bucket, 0)


def _hit(key: str, window: int) -> int:
    bucket, _ = _window(key, window)
    cache.add(bucket, 0, timeout=window + 60)
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 60)
        return 1


def _targets(mailbox) -> list[tuple[str, str]]:
    return [
        (mailbox.smtp_host, mailbox.login_name("smtp")),
        (mailbox.imap_host, mailbox.login_name("imap")),
    ]


def auth_paused(mailbox) -> Refusal | None:
    """Too many failed logins for this (host, username): pause before trying again."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    for host, username in _targets(mailbox):
        key = _key("authfail", host, username)
        if _count(key, window) >= settings.MAIL_AUTH_FAILURE_LIMIT:
            _, retry_at = _window(key, window)
            return Refusal(
                f"The server at {host} refused the password for {username} several times in a row. "
                "To keep your account from being locked, tests are paused",
                retry_at,
            )
    return None


def check_and_count(mailbox) -> Refusal | None:
    """Count one test against the per-user, per-host and per-login limits."""
    window = settings.MAIL_TEST_RATE_WINDOW
    checks = [(_key("user", str(mailbox.user_id)), settings.MAIL_TEST_RATE_PER_USER, "your account")]
    for host, username in _targets(mailbox):
        checks.append((_key("host", host), settings.MAIL_TEST_RATE_PER_HOST, f"the server {host}"))
        checks.append(
            (_key("login", host, username), settings.MAIL_TEST_RATE_PER_LOGIN, f"{username} at {host}")
        )
    # SMTP and IMAP often share a host and a username: count each limit once per test.
    unique = {key: (limit, what) for key, limit, what in checks}
    for key, (limit, what) in unique.items():
        if _count(key, window) >= limit:
            _, retry_at = _window(key, window)
            return Refusal(f"Too many connection tests for {what} in a short time", retry_at)
    for key in unique:
        _hit(key, window)
    return None


def record_auth_result(failed: set[tuple[str, str]], succeeded: set[tuple[str, str]]) -> None:
    """After a test: count wrong-password refusals per (host, username); a login that
    worked clears that pair's count."""
    window = settings.MAIL_AUTH_FAILURE_WINDOW
    for host, username in failed:
        _hit(_key("authfail", host, username), window)
    for host, username in succeeded - failed:
        bucket, _ = _window(_key("authfail", host, username), window)
        cache.delete(bucket)
