"""What a mailbox's servers offer, read during the login test, and what that means for
sending and for detecting replies.

The probes call `smtp_features` after EHLO and `read_imap` once logged in (the list a
server shows before login is often shorter: Dovecot adds MOVE, UIDPLUS, CONDSTORE...
only after it). `summary` turns the raw lists into the capability panel's facts.
"""

import contextlib
import re

from .steps import short
from .words import N_

# How often a mailbox without IDLE is checked for replies, by what it offers.
POLL_MINUTES_CONDSTORE = 2  # one cheap STATUS/CHANGEDSINCE per check
POLL_MINUTES_PLAIN = 5  # each check re-reads the folder's state

_STATUS_ITEM = re.compile(rb"(MESSAGES|UIDNEXT|UIDVALIDITY)\s+(\d+)", re.I)


def smtp_features(client) -> list[str]:
    """The EHLO keywords with their parameters, as the server listed them
    ("AUTH PLAIN LOGIN", "SIZE 35882577", "PIPELINING")."""
    features = getattr(client, "esmtp_features", None) or {}
    return [f"{name.upper()} {value}".strip() for name, value in features.items()]


def _status(client) -> dict:
    typ, data = client.status("INBOX", "(MESSAGES UIDNEXT UIDVALIDITY)")
    line = b" ".join(d for d in data if isinstance(d, bytes))
    if typ != "OK":
        return {"readable": False, "detail": short(line.decode("utf-8", "replace"), 200)}
    found = {name.decode().lower(): int(value) for name, value in _STATUS_ITEM.findall(line)}
    return {
        "readable": True,
        "messages": found.get("messages"),
        "uidvalidity": found.get("uidvalidity"),
        "uidnext": found.get("uidnext"),
    }


def read_imap(client) -> dict:
    """The capabilities after login, and INBOX's STATUS; never fails the login test
    (a server that stumbles here is reported as such, not as a failed login)."""
    found: dict = {"imap": [str(c) for c in client.capabilities], "inbox": {"readable": False}}
    try:
        typ, data = client.capability()
        if typ == "OK" and data and isinstance(data[-1], bytes):
            listed = data[-1].decode("ascii", "replace").split()
            client.capabilities = tuple(c.upper() for c in listed)
            found["imap"] = listed
        found["inbox"] = _status(client)
    except Exception as exc:  # a hostile or broken server: say so, keep the test's verdict
        with contextlib.suppress(Exception):
            client.rec.transcript.note(f"capability check stopped: {type(exc).__name__}")
        found["inbox"] = {"readable": False, "detail": short(str(exc), 200)}
    return found


def _has(caps: list[str], name: str) -> bool:
    name = name.upper()
    return any(c.upper() == name or c.upper().startswith(name + "=") for c in caps)


def _smtp_value(features: list[str], name: str) -> str | None:
    for item in features:
        key, _, value = item.partition(" ")
        if key.upper() == name:
            return value
    return None


def reply_detection(imap: list[str]) -> dict:
    """How quickly the product can notice a reply in this mailbox."""
    if _has(imap, "IDLE"):
        return {"mode": "idle", "verdict": N_("Replies detected within seconds (IDLE).")}
    minutes = POLL_MINUTES_CONDSTORE if _has(imap, "CONDSTORE") else POLL_MINUTES_PLAIN
    return {
        "mode": "poll",
        "minutes": minutes,
        "verdict": N_("Checked every {minutes} minutes (the server does not offer IDLE push).").format(
            minutes=minutes
        ),
    }


def summary(capabilities: dict) -> dict:
    """The panel's facts from `{"smtp": [...], "imap": [...], "inbox": {...}}`."""
    smtp = list(capabilities.get("smtp") or [])
    imap = list(capabilities.get("imap") or [])
    size = _smtp_value(smtp, "SIZE")
    return {
        "smtp": {
            "known": bool(smtp),
            "auth": (_smtp_value(smtp, "AUTH") or "").split(),
            "size": int(size) if size and size.isdigit() and int(size) > 0 else None,
            "smtputf8": _smtp_value(smtp, "SMTPUTF8") is not None,
            "eightbitmime": _smtp_value(smtp, "8BITMIME") is not None,
            "pipelining": _smtp_value(smtp, "PIPELINING") is not None,
        },
        "imap": {
            "known": bool(imap),
            "idle": _has(imap, "IDLE"),
            "condstore": _has(imap, "CONDSTORE"),
            "qresync": _has(imap, "QRESYNC"),
            "move": _has(imap, "MOVE"),
            "uidplus": _has(imap, "UIDPLUS"),
            "special_use": _has(imap, "SPECIAL-USE"),
        },
        "inbox": dict(capabilities.get("inbox") or {}),
        "replies": reply_detection(imap) if imap else None,
    }
