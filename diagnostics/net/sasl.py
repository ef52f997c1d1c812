"""Bearer tokens over SASL: XOAUTH2 (Google, Microsoft) and OAUTHBEARER (RFC 7628).

A probe given a `Bearer` instead of a password logs in with it: OAUTHBEARER when
the server offers it, XOAUTH2 otherwise. A refusal comes as a base64 JSON challenge
(`{"status":"401","schemes":"Bearer","scope":...}`) that the client must answer
(XOAUTH2: an empty line; OAUTHBEARER: `\\x01`) before the server says 535 or NO.

Servers rarely say why a token failed (Microsoft never does), so `verdict` decides
from the wire and from what the caller knows about the token: its expiry, whether it
was just renewed, and what the provider says about it (`inspect`).
"""

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import errors, replies
from .redaction import Redactor
from .words import N_

XOAUTH2, OAUTHBEARER = "XOAUTH2", "OAUTHBEARER"
OAUTH, PASSWORD = "oauth", "password"  # noqa: S105 (kinds of secret, not secrets)

# Reasons of ours (advice in reasons.py).
TOKEN_EXPIRED = "token_expired"  # noqa: S105
TOKEN_REVOKED = "token_revoked"  # noqa: S105
TOKEN_REJECTED = "token_rejected"  # noqa: S105
TOKEN_WRONG_ACCOUNT = "token_wrong_account"  # noqa: S105
INSUFFICIENT_SCOPE = "insufficient_scope"
PROTOCOL_DISABLED = "imap_disabled_for_account"
OAUTH_NOT_OFFERED = "oauth_not_offered"

_SCOPE_STATUSES = {"400", "403", "insufficient_scope"}
_DISABLED_WORDS = ("not enabled for imap", "imap is disabled", "imap access is disabled")


def xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 initial client response, before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(user: str, token: str, host: str, port: int) -> str:
    """The OAUTHBEARER initial client response (RFC 7628 section 3.1), before base64."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")  # RFC 5801 saslname
    return f"n,a={authzid},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"


def error_answer(mechanism: str) -> str:
    """What the client sends after the server's error challenge."""
    return "\x01" if mechanism == OAUTHBEARER else ""


def pick(offered) -> str | None:
    """OAUTHBEARER where offered (the standard), XOAUTH2 otherwise."""
    names = {name.upper() for name in offered}
    for mechanism in (OAUTHBEARER, XOAUTH2):
        if mechanism in names:
            return mechanism
    return None


def token_mechanism(offered, code: str, refusal: str) -> str:
    """The mechanism to sign in with among those the server offers, or the refusal (the
    caller's whole sentence, marked for translation where it is written)."""
    mechanism = pick(offered)
    if mechanism is None:
        raise errors.ProbeError(code, refusal, reason=OAUTH_NOT_OFFERED)
    return mechanism


class Exchange:
    """The client's side of one token login, as SMTP's and IMAP's authenticate() call
    it: the initial response first; then, if the server refuses with a challenge, the
    answer that ends the exchange (the challenge is kept for the verdict)."""

    def __init__(self, mechanism: str, username: str, token: str, host: str, port: int):
        self.mechanism = mechanism
        if mechanism == XOAUTH2:
            self.first = xoauth2(username, token)
        else:
            self.first = oauthbearer(username, token, host, port)
        self.sent = False
        self.challenge: dict | None = None

    def __call__(self, challenge: bytes | None = None) -> str:
        if not self.sent:
            self.sent = True
            return self.first
        self.challenge = read_challenge(challenge)
        return error_answer(self.mechanism)


def read_challenge(data: bytes | str) -> dict | None:
    """The JSON error a server sends as a SASL challenge (already base64-decoded
    or not), or None when it is not one."""
    raw = data.encode() if isinstance(data, str) else data
    raw = raw.strip()
    if not raw:
        return None
    if not raw.startswith(b"{"):
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        found = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def secret_forms(user: str, token: str, host: str, port: int) -> list[str]:
    """Every form the token travels in, for value-based redaction."""
    forms = [token]
    for raw in (xoauth2(user, token), oauthbearer(user, token, host, port)):
        forms.append(raw)
        forms.append(base64.b64encode(raw.encode()).decode())
    return forms


@dataclass
class TokenFacts:
    """What the provider says about a token; None where it does not say."""

    active: bool | None = None
    email: str = ""
    scopes: tuple[str, ...] | None = None
    expired: bool | None = None


class RenewalFailed(Exception):
    """The token could not be renewed; `reason` says why (token_revoked...)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Bearer:
    """An OAuth access token to log in with, and what the caller knows about it.

    `renew` (optional) returns a new access token or raises RenewalFailed; the
    probes call it at most once per test, however many protocols were refused.
    `inspect` (optional) asks the provider about a token, after a refusal.
    """

    token: str
    provider: str = ""
    mail_scope: str = ""
    expires_at: float | None = None
    renew: Callable[[], str] | None = None
    inspect: Callable[[str], TokenFacts] | None = None
    # Set when no usable token could be had at all (the refresh was refused): the
    # probes then fail at once with this reason instead of sending a dead token.
    failure: str = ""
    kind: str = field(default=OAUTH, init=False)
    renewed: bool = field(default=False, init=False)
    _renewal: RenewalFailed | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __repr__(self) -> str:  # never the token in debug output
        return f"<Bearer {self.provider or 'oauth'}>"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time()

    def renew_once(self) -> str:
        """The renewed token; the first caller renews, the others wait for it."""
        with self._lock:
            if self._renewal is not None:
                raise self._renewal
            if not self.renewed:
                if self.renew is None:
                    raise RenewalFailed(TOKEN_REJECTED)
                try:
                    self.token = self.renew()
                except RenewalFailed as failed:
                    self._renewal = failed
                    raise
                self.renewed = True
                self.expires_at = None
            return self.token

    def redactor(self, smtp, imap) -> Redactor:
        return _BearerRedactor(self, smtp, imap)

    def facts(self) -> TokenFacts:
        if self.inspect is None:
            return TokenFacts()
        try:
            return self.inspect(self.token)
        except Exception:  # asking is a courtesy: no answer means "unknown"
            return TokenFacts()


def wire_reason(protocol: str, challenge: dict | None, reply: str) -> str | None:
    """What the server's own words settle, before anything we know is asked."""
    if protocol == "smtp" and replies.enhanced_code(reply) == (5, 7, 139):
        return PROTOCOL_DISABLED  # Microsoft 365: SMTP AUTH is off for the tenant or mailbox
    lowered = reply.lower()
    if any(words in lowered for words in _DISABLED_WORDS):
        return PROTOCOL_DISABLED
    if challenge and str(challenge.get("status", "")).lower() in _SCOPE_STATUSES:
        return INSUFFICIENT_SCOPE
    return None


def verdict(protocol: str, challenge: dict | None, reply: str, bearer: Bearer, user: str) -> str:
    """The reason a token was refused, from the wire first, then from our own state."""
    settled = wire_reason(protocol, challenge, reply)
    if settled:
        return settled
    facts = bearer.facts()
    if facts.scopes is not None and bearer.mail_scope and bearer.mail_scope not in facts.scopes:
        return INSUFFICIENT_SCOPE
    if facts.active is not False and facts.email and facts.email.lower() != user.lower():
        return TOKEN_WRONG_ACCOUNT
    if facts.active is False:
        return TOKEN_EXPIRED if (facts.expired or bearer.expired) else TOKEN_REVOKED
    if bearer.renewed:
        # A token minted a moment ago and still refused: the account or tenant is
        # set up not to take it (IMAP or SMTP AUTH switched off).
        return PROTOCOL_DISABLED
    if bearer.expired:
        return TOKEN_EXPIRED
    return TOKEN_REJECTED


# One attempt at logging in with a token: (accepted, the server's reply, its JSON challenge).
Attempt = Callable[[str], tuple[bool, str, dict | None]]

# Whole sentences with the protocol's name ("IMAP: ..."), so that each translates as one.
_DETAILS = {
    TOKEN_EXPIRED: N_("{protocol}: The sign-in token had expired and could not be renewed here."),
    TOKEN_REVOKED: N_(
        "{protocol}: The provider no longer accepts this mailbox's sign-in: access was removed or ran out."
    ),
    TOKEN_REJECTED: N_("{protocol}: The server refused the sign-in token."),
    TOKEN_WRONG_ACCOUNT: N_("{protocol}: The sign-in token belongs to another account than this mailbox."),
    INSUFFICIENT_SCOPE: N_("{protocol}: The sign-in token does not include access to mail."),
    PROTOCOL_DISABLED: N_(
        "{protocol}: The server refused a valid sign-in token: access over this protocol is switched off "
        "for the account."
    ),
}

# log_in's remark when a renewed token was let in.
RENEWED = " (token renewed)"


def auth_error(protocol: str, reason: str, reply: str = "") -> errors.ProbeError:
    code = errors.SMTP_AUTH if protocol == "smtp" else errors.IMAP_AUTH
    detail = _DETAILS.get(reason, _DETAILS[TOKEN_REJECTED]).format(protocol=protocol.upper())
    return errors.ProbeError(code, detail, server_reply=reply, reason=reason)


def log_in(protocol: str, attempt: Attempt, bearer: Bearer, user: str, note: Callable[[str], None]) -> str:
    """Log in with the token, renewing it and trying once more when a new token could
    help; return a remark for the step, or raise the classified ProbeError."""
    used = bearer.token
    accepted, reply, challenge = attempt(used)
    if accepted:
        return ""
    if challenge is not None:
        note(f"the server's SASL error: {json.dumps(challenge)[:200]}")
    if wire_reason(protocol, challenge, reply) is None and (bearer.renew is not None or bearer.renewed):
        note("the token was refused: renewing it and trying once more")
        try:
            token = bearer.renew_once()
        except RenewalFailed as failed:
            raise auth_error(protocol, failed.reason, reply) from None
        if token != used:
            accepted, reply, challenge = attempt(token)
            if accepted:
                return RENEWED
    raise auth_error(protocol, verdict(protocol, challenge, reply, bearer, user), reply)


class _BearerRedactor(Redactor):
    """Masks the token, and the SASL strings that carry it, by value; the token may be
    renewed mid-test, so the forms are worked out from the current one each time."""

    def __init__(self, bearer: Bearer, smtp, imap):
        self.bearer = bearer
        self.servers = (smtp, imap)
        self._seen: dict[str, Redactor] = {}

    def __call__(self, text: str) -> str:
        for token in (*self._seen, self.bearer.token):
            if token not in self._seen:
                forms = (secret_forms(s.username, token, s.host, s.port) for s in self.servers)
                self._seen[token] = Redactor("", extra=tuple(f for found in forms for f in found))
            text = self._seen[token](text)
        return text
