"""Brute-force brakes for sign-in and sign-up, on the shared counters.

Sign-in failures count per (account name, client address) and per address, never per
name alone: a stranger who types someone's name wrong from their own address must not
lock that person out everywhere.
"""

from django.conf import settings

from core import limits

# One address may try a few names (an office behind one NAT, a shared family computer).
NAMES_PER_ADDRESS = 4


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_blocked(username: str, ip: str) -> int:
    """Minutes to wait when this name failed too often from this address, or this
    address failed too often for any names, else 0."""
    window = settings.LOGIN_FAILURE_WINDOW
    limit = settings.LOGIN_FAILURE_LIMIT
    if (
        limits.count("login-pair", username, ip, window=window) < limit
        and limits.count("login-ip", ip, window=window) < limit * NAMES_PER_ADDRESS
    ):
        return 0
    return limits.Refusal("", limits.window_end(window)).retry_in_minutes()


def login_failed(username: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    limits.hit("login-pair", username, ip, window=window)
    limits.hit("login-ip", ip, window=window)


def login_succeeded(username: str, ip: str) -> None:
    """The person knows the password: their earlier typos from here no longer count."""
    limits.reset("login-pair", username, ip, window=settings.LOGIN_FAILURE_WINDOW)


def signup_blocked(ip: str) -> bool:
    """Count a sign-up attempt; True when this address made too many this hour."""
    return not limits.allow("signup-ip", ip, limit=settings.SIGNUP_RATE_PER_IP, window=3600)
