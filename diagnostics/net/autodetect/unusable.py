"""Servers a provider lists that we cannot use, and why, in words a page can show: an
IMAP or SMTP server offered only without encryption (we never send a password in the
clear), or a provider that offers POP3 and no IMAP at all (we need IMAP for replies and
the Sent folder). The usable half of an answer is still used."""

from ..words import N_

PLAINTEXT_ONLY = "plaintext_only"
POP3_ONLY = "pop3_only"

_PLAINTEXT = {
    "imap": N_(
        "This provider's IMAP is unencrypted ({where} without TLS); we never send your password in "
        "clear. Ask the provider for an IMAP server with SSL/TLS or STARTTLS."
    ),
    "smtp": N_(
        "This provider's SMTP is unencrypted ({where} without TLS); we never send your password in "
        "clear. Ask the provider for an SMTP server with SSL/TLS or STARTTLS."
    ),
}
_POP3 = N_(
    "This provider offers POP3 only, not IMAP. We need IMAP to see replies and the Sent folder: ask the "
    "provider whether IMAP is available on your plan."
)


def plaintext_only(protocol: str, host: str, port: int) -> dict:
    return {
        "protocol": protocol,
        "reason": PLAINTEXT_ONLY,
        "detail": _PLAINTEXT[protocol].format(where=f"{host}:{port}"),
    }


def pop3_only() -> dict:
    return {"protocol": "imap", "reason": POP3_ONLY, "detail": _POP3}
