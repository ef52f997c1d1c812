"""Deadlines hold under load: with both cores kept busy by two spinning processes this
test starts itself, each hostile server (silent, a "220-" line dripped every half second,
a flood) still ends within the deadline + 1 s of the command's start, measured in the
command's own process as tests/diagnostics/test_hostile.py does."""

import socket
import subprocess
import sys

import pytest

from tests.diagnostics.net.fakes import FakeIMAP
from tests.diagnostics.test_hostile import DEADLINE, _codes, run_against
from tests.servers.raw import flood, silent, wait_for_close

SPINNERS = 2  # the machine's cores (the CI runner and this one have two)


def drip_lines(line: bytes, interval: float):
    """A new continuation line every `interval` seconds, forever: each read succeeds in
    time, so only the whole test's deadline can end it."""

    def handler(conn: socket.socket) -> None:
        while True:
            try:
                conn.sendall(line)
            except OSError:
                return
            if wait_for_close(conn, interval):
                return

    return handler


@pytest.fixture(scope="module")
def busy_cores():
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(SPINNERS)]
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


CASES = {
    "smtp_silent": ("smtp", silent, {("timeout", "no_greeting")}),
    "smtp_drips_220_lines": ("smtp", drip_lines(b"220-\r\n", 0.5), {("timeout", "deadline")}),
    "smtp_flood": ("smtp", flood(b"220-flooding you", 10**7), {("smtp_fatal", "flood")}),
    "imap_silent": ("imap", silent, {("timeout", "no_greeting")}),
    "imap_drips_untagged_lines": ("imap", drip_lines(b"* OK still here\r\n", 0.5), {("timeout", "deadline")}),
    "imap_flood": (
        "imap",
        flood(b"* OK flooding you with untagged lines", 10**7),
        {("imap_no_response", "flood"), ("timeout", "deadline")},
    ),
    # Work on lines already received, which the deadline's shutdown of the socket cannot stop.
    "imap_lists_50000_folders": (
        "imap",
        FakeIMAP(folders=[f'(\\HasNoChildren) "/" "F{i}"'.encode() for i in range(50_000)]),
        {("imap_no_response", "too_many_folders"), ("timeout", "deadline")},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_servers_end_in_time_with_both_cores_busy(pki, raw_server, busy_cores, case, tmp_path):
    protocol, handler, expected = CASES[case]
    result, seconds, _ = run_against(pki, raw_server, protocol, handler, tmp_path)
    print(f"\nHOSTILE UNDER LOAD {case}: {seconds:.2f}s")
    assert _codes(result, protocol) <= expected and _codes(result, protocol), result["errors"]
    assert seconds < DEADLINE + 1, f"{case} took {seconds:.2f}s with both cores busy"
