"""A hostile IMAP server while the round trip waits for its message: silent, BYE, a
flood, an IDLE that never ends. Each ends within the round trip's deadline, as a
classified error, never a hang."""

import time

import pytest

from diagnostics.net.credentials import Password
from diagnostics.net.redaction import Redactor
from diagnostics.net.roundtrip import FAILED, run_round_trip
from diagnostics.net.transport import ServerSettings
from tests.diagnostics.net.fakes import FakeIMAP

PASSWORD = "secret"
ADDRESS = "alice@example.test"
WAIT = 4.0
EXAMINE = b"* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n{tag} OK [READ-ONLY] done\r\n"
EMPTY_SEARCH = b"* SEARCH\r\n{tag} OK done\r\n"


def _bye(tag, args):
    return b"* BYE going away now\r\n"


def _flood(tag, args):
    return b"* 1 EXISTS\r\n" * 300_000


def _uid(hostile):
    def reply(tag, args):
        if args.upper().startswith(b"SEARCH"):
            return hostile(tag, args) if callable(hostile) else hostile
        return tag + b" OK done\r\n"

    return reply


def _search_ok(tag, args):
    return EMPTY_SEARCH.replace(b"{tag}", tag)


CASES = {
    # During the search for the message.
    "search_silent": (b"IMAP4rev1 AUTH=PLAIN", {b"UID": _uid(None)}),
    "search_bye": (b"IMAP4rev1 AUTH=PLAIN", {b"UID": _uid(_bye)}),
    "search_flood": (b"IMAP4rev1 AUTH=PLAIN", {b"UID": _uid(_flood)}),
    # While waiting in IDLE.
    "idle_never_acknowledged": (
        b"IMAP4rev1 AUTH=PLAIN IDLE",
        {b"UID": _uid(_search_ok), b"IDLE": lambda tag, args: None},
    ),
    "idle_ignores_done": (b"IMAP4rev1 AUTH=PLAIN IDLE", {b"UID": _uid(_search_ok), b"IDLE": b"+ idling\r\n"}),
    "idle_bye": (
        b"IMAP4rev1 AUTH=PLAIN IDLE",
        {b"UID": _uid(_search_ok), b"IDLE": b"+ idling\r\n* BYE shutting down\r\n"},
    ),
    "idle_flood": (
        b"IMAP4rev1 AUTH=PLAIN IDLE",
        {b"UID": _uid(_search_ok), b"IDLE": lambda tag, args: b"+ idling\r\n" + b"* 3 RECENT\r\n" * 300_000},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_imap_during_the_wait_ends_within_the_deadline(case, raw_server, smtp_server, probe_config):
    capabilities, replies = CASES[case]
    fake = FakeIMAP(capabilities=capabilities, replies={b"EXAMINE": EXAMINE, b"SELECT": EXAMINE, **replies})
    imap = raw_server(fake)
    smtp = smtp_server(security="starttls", users={ADDRESS: PASSWORD})  # accepts, never delivers
    started = time.monotonic()
    result = run_round_trip(
        ServerSettings("127.0.0.1", smtp.port, "starttls", ADDRESS),
        ServerSettings("127.0.0.1", imap.port, "none", ADDRESS),
        Password(PASSWORD),
        probe_config,
        ADDRESS,
        WAIT,
        lambda step: None,
        Redactor(PASSWORD),
    )
    elapsed = time.monotonic() - started
    assert elapsed < WAIT + probe_config.deadline, elapsed
    assert result.status == FAILED
    assert [e.code for _, e in result.errors] in (["imap_no_response"], ["timeout"]), result.errors
    assert len(smtp.messages) == 1
