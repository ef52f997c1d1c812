"""A bounded, redacted record of one protocol conversation.

Client lines that carry credentials are masked by their shape (AUTH arguments,
SASL continuations, LOGIN's password), and every line also goes through the
value-based Redactor, which catches a server that echoes the password back.
"""

import re

from .redaction import REDACTED, Redactor

MAX_LINE = 300
MAX_LINES = 400
MAX_BYTES = 64 * 1024

# "AUTH PLAIN <b64>", "AUTH XOAUTH2 <token>", "a1 AUTHENTICATE PLAIN <b64>" (SASL-IR).
_AUTH = re.compile(r"^(?P<head>(?:\S+\s+)?(?:AUTH|AUTHENTICATE)\s+\S+)(?P<rest>\s+.*)?$", re.I)
# IMAP "a1 LOGIN user password": keep the user, hide the password.
_LOGIN = re.compile(r"^(?P<head>\S+\s+LOGIN\s+(?:\"(?:[^\"\\]|\\.)*\"|\S+))\s+.*$", re.I)


def mask_client_line(line: str) -> str:
    """Hide the credential part of a client command, whatever its encoding."""
    match = _AUTH.match(line)
    if match:
        return match["head"] + (f" {REDACTED}" if match["rest"] else "")
    match = _LOGIN.match(line)
    if match:
        return f"{match['head']} {REDACTED}"
    return line


class Transcript:
    """Lines of `C:` (us), `S:` (server) and `--` (events), capped in count and size."""

    def __init__(self, redact: Redactor):
        self.redact = redact
        self.lines: list[str] = []
        self.size = 0
        self.dropped = 0
        # After we send AUTH/AUTHENTICATE, client lines are SASL answers until the server ends it.
        self.in_sasl = False

    def _add(self, prefix: str, text: str) -> None:
        if len(self.lines) >= MAX_LINES or self.size >= MAX_BYTES:
            self.dropped += 1
            return
        text = text.rstrip("\r\n")
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE] + f"… ({len(text) - MAX_LINE} more characters)"
        line = f"{prefix} {self.redact(text)}"
        self.lines.append(line)
        self.size += len(line) + 1

    def client(self, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        for line in text.splitlines() or [""]:
            if self.in_sasl:
                line = REDACTED
            else:
                masked = mask_client_line(line)
                if masked != line or re.match(r"^(\S+\s+)?(AUTH|AUTHENTICATE)\b", line, re.I):
                    self.in_sasl = True
                line = masked
            self._add("C:", line)

    def server(self, data: bytes | str) -> None:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        # A SASL exchange ends with anything but a continuation (SMTP 334, IMAP "+").
        if self.in_sasl and not (text.startswith("334") or text.startswith("+")):
            self.in_sasl = False
        self._add("S:", text)

    def note(self, text: str) -> None:
        self._add("--", text)

    def text(self) -> str:
        lines = list(self.lines)
        if self.dropped:
            lines.append(f"-- {self.dropped} more lines not kept")
        return "\n".join(lines)
