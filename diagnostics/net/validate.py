"""Input checks shared by the form and `manage.py diagnose`; all raise invalid_input."""

import re

from . import errors, guard
from .errors import ProbeError
from .transport import SECURITY_CHOICES
from .words import N_

MAX_EMAIL = 254
MAX_USERNAME = 254
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}$")


def email(value: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_EMAIL or not _EMAIL.match(text):
        raise ProbeError(errors.INVALID_INPUT, N_("Enter a valid email address, like name@example.com."))
    local, _, domain = text.rpartition("@")
    try:
        domain = guard.normalize_host(domain)
    except ProbeError:
        raise ProbeError(errors.INVALID_INPUT, N_("The domain of this email address is not valid.")) from None
    return f"{local}@{domain}"


def port(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ProbeError(errors.INVALID_INPUT, N_("The port must be a whole number.")) from None
    if not 1 <= number <= 65535:
        raise ProbeError(errors.INVALID_INPUT, N_("The port must be between 1 and 65535."))
    return number


def security(value: str) -> str:
    text = (value or "").strip().lower()
    if text not in SECURITY_CHOICES:
        raise ProbeError(errors.INVALID_INPUT, N_("Encryption must be SSL, STARTTLS or none."))
    return text


def host(value: str) -> str:
    return guard.normalize_host(value)


def username(value: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_USERNAME or any(ord(c) < 32 for c in text):
        raise ProbeError(errors.INVALID_INPUT, N_("The username is too long or contains control characters."))
    return text
