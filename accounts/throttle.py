"""Brute-force brakes for sign-in and sign-up, on the shared cache counters."""

from django.conf import settings

from diagnostics import limits


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def login_blocked(username: str, ip: str) -> int:
    """Minutes to wait when this account name or address failed too often, else 0."""
    window = settings.LOGIN_FAILURE_WINDOW
    worst = max(
        limits.count("login-user", username, window=window),
        limits.count("login-ip", ip, window=window) // 4,  # one address may try a few names
    )
    if worst < settings.LOGIN_FAILURE_LIMIT:
        return 0
    return limits.Refusal("", limits.window_end(window)).retry_in_minutes()


def login_failed(username: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    limits.hit("login-user", username, window=window)
    limits.hit("login-ip", ip, window=window)


def signup_blocked(ip: str) -> bool:
    """Count a sign-up attempt; True when this address made too many this hour."""
    return limits.hit("signup-ip", ip, window=3600) > settings.SIGNUP_RATE_PER_IP
