"""Read what a server's refusal means: structured codes first, then wording.

SMTP enhanced status codes (RFC 3463, RFC 4954) and IMAP response codes (RFC 5530)
say more than free text; only when they are generic do we look at the words.
"""

import re
from dataclasses import dataclass

from . import errors

_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_IMAP_CODE = re.compile(r"\[([A-Za-z][A-Za-z0-9-]*)")

WRONG_CREDENTIALS = "wrong_credentials"
APP_PASSWORD_REQUIRED = "app_password_required"  # noqa: S105 (a reason name, not a secret)
BASIC_AUTH_DISABLED = "basic_auth_disabled"
IMAP_DISABLED = "imap_disabled"
WEB_LOGIN_REQUIRED = "web_login_required"
ACCOUNT_LOCKED = "account_locked"
TOO_MANY_CONNECTIONS = "too_many_connections"
PRIVACY_REQUIRED = "privacy_required"
PASSWORD_EXPIRED = "password_expired"  # noqa: S105 (a reason name, not a secret)
MECHANISM_TOO_WEAK = "mechanism_too_weak"
TEMPORARY_FAILURE = "temporary_failure"
# Microsoft's refusals of a password that are not about the password (issue: exact words).
BASIC_AUTH_RETIRED = "basic_auth_retired"  # 5.7.30: Basic SMTP AUTH switched off, or IMAP's since 2022
SMTP_AUTH_DISABLED = "smtp_auth_disabled"  # 5.7.139 SmtpClientAuthentication is disabled
SECURITY_DEFAULTS = "security_defaults"  # 5.7.139 locked by the security defaults policy

# Wording seen in real providers' replies, most specific first.
_PATTERNS: list[tuple[str, tuple[str, ...]]] = [
    (BASIC_AUTH_RETIRED, ("basic authentication is not supported for client submission",)),
    (SMTP_AUTH_DISABLED, ("smtpclientauthentication is disabled",)),
    (SECURITY_DEFAULTS, ("security defaults policy",)),
    (BASIC_AUTH_DISABLED, ("basic authentication is disabled", "basicauthblocked", "basic auth is disabled")),
    (
        APP_PASSWORD_REQUIRED,
        (
            "application-specific password",
            "application specific password",
            "app password",
            "app-specific password",
            # Yahoo's SMTP says this on the first try when only an app password would do.
            "(#auth005)",
        ),
    ),
    (
        IMAP_DISABLED,
        (
            "not enabled for imap",
            "imap access is disabled",
            "imap is disabled",
            "imap access disabled",
            "enable imap",
            "imap not enabled",
            "imap access is not enabled",
            "yet to enable imap",  # Zoho: "You are yet to enable IMAP for your account."
        ),
    ),
    (
        WEB_LOGIN_REQUIRED,
        ("web browser", "web login", "webalert", "verify your account", "sign in via your browser"),
    ),
    (
        ACCOUNT_LOCKED,
        (
            "account is locked",
            "account locked",
            "account disabled",
            "has been disabled",
            "suspended",
            "locked out",
        ),
    ),
    (
        TOO_MANY_CONNECTIONS,
        ("too many", "maximum number of connections", "simultaneous connections", "connection limit"),
    ),
    (PASSWORD_EXPIRED, ("password expired", "password has expired")),
]

_IMAP_CODES = {
    "AUTHENTICATIONFAILED": WRONG_CREDENTIALS,
    "AUTHORIZATIONFAILED": WRONG_CREDENTIALS,
    "EXPIRED": PASSWORD_EXPIRED,
    "PRIVACYREQUIRED": PRIVACY_REQUIRED,
    "CONTACTADMIN": ACCOUNT_LOCKED,
    "UNAVAILABLE": TEMPORARY_FAILURE,
    "LIMIT": TOO_MANY_CONNECTIONS,
    "INUSE": TOO_MANY_CONNECTIONS,
    "WEBALERT": WEB_LOGIN_REQUIRED,
}
# Enhanced codes that settle the matter on their own.
_DECISIVE_SMTP = {
    (5, 7, 30): BASIC_AUTH_RETIRED,
    (5, 7, 14): WEB_LOGIN_REQUIRED,
    (5, 7, 11): PRIVACY_REQUIRED,
    (4, 7, 12): PASSWORD_EXPIRED,
    (5, 7, 12): PASSWORD_EXPIRED,
}
_DEFAULT_SMTP = {
    (5, 7, 8): WRONG_CREDENTIALS,
    (5, 7, 9): MECHANISM_TOO_WEAK,
    (4, 7, 0): TEMPORARY_FAILURE,
    (4, 7, 8): TEMPORARY_FAILURE,
    (5, 7, 0): WRONG_CREDENTIALS,
    (5, 7, 1): WRONG_CREDENTIALS,
}


@dataclass(frozen=True)
class AuthVerdict:
    code: str
    reason: str


def enhanced_code(text: str) -> tuple[int, int, int] | None:
    match = _ENHANCED.search(text)
    return tuple(int(x) for x in match.groups()) if match else None


def imap_codes(text: str) -> list[str]:
    return [c.upper() for c in _IMAP_CODE.findall(text)]


def _by_wording(text: str) -> str | None:
    lowered = text.lower()
    for reason, needles in _PATTERNS:
        if any(needle in lowered for needle in needles):
            return reason
    return None


# Microsoft's 5.7.139 replies were reported as sso_required before they had reasons of
# their own; they keep that category. 5.7.30 keeps the category it had: smtp_auth.
_SSO_CATEGORY = frozenset({BASIC_AUTH_DISABLED, SMTP_AUTH_DISABLED, SECURITY_DEFAULTS})


def _verdict(protocol_code: str, reason: str) -> AuthVerdict:
    # Microsoft's "basic authentication is disabled" means the tenant allows only OAuth.
    if reason in _SSO_CATEGORY:
        return AuthVerdict(errors.SSO_REQUIRED, reason)
    return AuthVerdict(protocol_code, reason)


def at_microsoft(reason: str, protocol: str, password_login: bool) -> str:
    """A login refused by Microsoft's own servers (Outlook.com, Microsoft 365): their IMAP
    has taken no password since 2022 ("AUTHENTICATE failed." whatever the password), so
    a refused IMAP password there is the retirement, not a typo. SMTP still takes
    passwords until the cut-off: its 5.7.3 stays a wrong password."""
    if password_login and protocol == "imap" and reason == WRONG_CREDENTIALS:
        return BASIC_AUTH_RETIRED
    return reason


def smtp_auth_verdict(reply: str) -> AuthVerdict:
    """What a refused SMTP AUTH means (reply: "535 5.7.8 ...")."""
    enhanced = enhanced_code(reply)
    if enhanced in _DECISIVE_SMTP:
        return _verdict(errors.SMTP_AUTH, _DECISIVE_SMTP[enhanced])
    worded = _by_wording(reply)
    if worded:
        return _verdict(errors.SMTP_AUTH, worded)
    if enhanced == (5, 7, 139):  # Microsoft's "Authentication unsuccessful" family, other words
        return _verdict(errors.SMTP_AUTH, BASIC_AUTH_DISABLED)
    if enhanced in _DEFAULT_SMTP:
        return AuthVerdict(errors.SMTP_AUTH, _DEFAULT_SMTP[enhanced])
    if reply.startswith("4"):
        return AuthVerdict(errors.SMTP_AUTH, TEMPORARY_FAILURE)
    return AuthVerdict(errors.SMTP_AUTH, WRONG_CREDENTIALS)


def imap_auth_verdict(reply: str) -> AuthVerdict:
    """What a refused IMAP LOGIN/AUTHENTICATE means (reply: "[AUTHENTICATIONFAILED] ...")."""
    codes = imap_codes(reply)
    worded = _by_wording(reply)
    for code in codes:
        reason = _IMAP_CODES.get(code)
        # Generic codes defer to wording: Gmail says AUTHENTICATIONFAILED for app passwords too.
        if reason in (WRONG_CREDENTIALS, TEMPORARY_FAILURE) and worded:
            return _verdict(errors.IMAP_AUTH, worded)
        if reason:
            return _verdict(errors.IMAP_AUTH, reason)
    if worded:
        return _verdict(errors.IMAP_AUTH, worded)
    return AuthVerdict(errors.IMAP_AUTH, WRONG_CREDENTIALS)


# What a greeting from another protocol looks like.
_FOREIGN = [
    ("http", re.compile(rb"^HTTP/\d", re.I)),
    ("pop3", re.compile(rb"^\+OK", re.I)),
    ("imap", re.compile(rb"^\* (OK|PREAUTH|BYE)", re.I)),
    ("smtp", re.compile(rb"^[245]\d\d[ -]")),
    ("ssh", re.compile(rb"^SSH-", re.I)),
]


def foreign_protocol(first_line: bytes, expected: str) -> str | None:
    """The protocol a greeting belongs to, when it is not the one we expected."""
    for name, pattern in _FOREIGN:
        if pattern.match(first_line.lstrip()):
            return None if name == expected else name
    return None
