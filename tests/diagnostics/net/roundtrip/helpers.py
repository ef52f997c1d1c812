"""Reading a Dovecot mailbox from the test's side (imaplib straight to the server)."""

import imaplib
import re
import time

from diagnostics.net.credentials import Password
from diagnostics.net.redaction import Redactor
from diagnostics.net.roundtrip import run_round_trip
from tests.diagnostics.net.roundtrip.fixtures import PASSWORD

_FETCH = re.compile(rb"UID (\d+) FLAGS \(([^)]*)\)")


def trip(mailbox, config, wait: float = 5.0, sent_folder: str = "Sent", imap=None):
    """Run the round trip on a test mailbox; (result, steps as emitted)."""
    emitted = []
    result = run_round_trip(
        mailbox.smtp_settings(),
        imap or mailbox.imap(),
        Password(PASSWORD),
        config,
        mailbox.address,
        wait,
        emitted.append,
        Redactor(PASSWORD, (mailbox.address,)),
        sent_folder=sent_folder,
    )
    return result, emitted


def connect(mailbox) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", mailbox.dovecot.port_starttls, timeout=10)
    client.authenticate("PLAIN", lambda _: f"\0{mailbox.address}\0{PASSWORD}".encode())
    return client


def snapshot(mailbox, folder: str) -> dict[int, frozenset]:
    """UID -> flags of every message in a folder (without touching \\Seen)."""
    client = connect(mailbox)
    try:
        typ, _ = client.select(f'"{folder}"', readonly=True)
        assert typ == "OK"
        typ, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
        found = {}
        for item in data:
            match = _FETCH.search(item if isinstance(item, bytes) else item[0]) if item else None
            if match:
                found[int(match.group(1))] = frozenset(match.group(2).decode().split()) - {"\\Recent"}
        return found
    finally:
        client.logout()


def subjects(mailbox, folder: str) -> list[str]:
    client = connect(mailbox)
    try:
        client.select(f'"{folder}"', readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        return [item[1].decode().strip() for item in data if isinstance(item, tuple)]
    finally:
        client.logout()


def fill(mailbox, folder: str, count: int) -> None:
    """`count` unrelated messages with a mix of flags, some already marked \\Deleted
    (a mail app's pending deletions, which a plain EXPUNGE would also remove)."""
    client = connect(mailbox)
    flags = ["", r"(\Seen)", r"(\Flagged \Seen)", r"(\Deleted)", r"(\Answered)", r"(\Seen \Deleted)"]
    try:
        for i in range(count):
            body = (
                f"From: someone{i}@example.test\r\nTo: {mailbox.address}\r\n"
                f"Subject: Email Account Center test lookalike {i}\r\nMessage-ID: <n{i}@example.test>\r\n\r\n"
                f"message {i}\r\n"
            ).encode()
            typ, _ = client.append(f'"{folder}"', flags[i % len(flags)] or None, time.time(), body)
            assert typ == "OK"
    finally:
        client.logout()
