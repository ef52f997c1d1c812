"""Hostile servers never hurt us: each test ends within the deadline + 1 s, the worker's
memory stays bounded, and the error is the right one. Run through the real CLI in a
child process, so the time (from the command's start to the process's end) and peak
memory (ru_maxrss) are the process's own."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.diagnostics.net.fakes import FakeIMAP
from tests.servers.raw import drip, flood, silent, wait_for_close

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 3.0
MAX_EXTRA_RSS_KB = 100 * 1024


def endless_line(conn: socket.socket) -> None:
    """A 100 MB line with no end, sent as fast as the client reads it."""
    chunk = b"x" * 65536
    try:
        for _ in range(100 * 16):
            conn.sendall(chunk)
    except OSError:
        return
    wait_for_close(conn)


def _measure(pki, smtp_port, imap_port, tmp_path):
    """Run the CLI; (result, seconds, peak RSS in KB) for that child alone. The seconds
    leave out Python's and Django's start-up, which a busy machine stretches."""
    env = {
        **os.environ,
        "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "SSL_CERT_FILE": pki.ca_file,
        "MAIL_PROBE_TIMEOUT": "2",
        "MAIL_PROBE_DEADLINE": str(DEADLINE),
        "DIAG_PW": "hostile-test-pw",
    }
    timing = tmp_path / f"seconds-{smtp_port}-{imap_port}"
    args = [
        sys.executable, "-m", "tests.diagnostics.timed_command", str(timing),
        "diagnose", "h@example.test", "--password-env", "DIAG_PW", "--json",
        "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port), "--smtp-security", "none",
        "--imap-host", "127.0.0.1", "--imap-port", str(imap_port), "--imap-security", "none",
    ]  # fmt: skip
    with (
        open(os.devnull, "wb") as devnull,
        subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=devnull) as proc,
    ):
        env_pid = proc.pid
        out = proc.stdout.read()
        _, status, usage = os.wait4(env_pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return json.loads(out), float(timing.read_text()), usage.ru_maxrss


@pytest.fixture(scope="module")
def baseline(pki, tmp_path_factory):
    """The CLI against closed ports: its time and memory with no server data at all."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    _, seconds, rss = _measure(pki, closed, closed, tmp_path_factory.mktemp("baseline"))
    return seconds, rss


def _codes(result, protocol):
    return {(e["code"], e["reason"]) for e in result["errors"] if e["protocol"] == protocol}


CASES = {
    "smtp_flood_of_continuation_lines": (
        "smtp",
        flood(b"220-flooding you", 10**7),
        {("smtp_fatal", "flood")},
    ),
    "smtp_drips_a_byte_a_second": (
        "smtp",
        drip(b"220-" + b"x" * 100 + b"\r\n", 1.0),
        {("timeout", "deadline")},
    ),
    "smtp_sends_a_100mb_line": ("smtp", endless_line, {("smtp_fatal", "line_too_long")}),
    "smtp_never_answers": ("smtp", silent, {("timeout", "no_greeting")}),
    "imap_flood_of_untagged_lines": (
        "imap",
        flood(b"* OK flooding you with untagged lines", 10**7),
        {("imap_no_response", "flood"), ("timeout", "deadline")},
    ),
    "imap_flood_of_continuations": (
        "imap",
        FakeIMAP(replies={b"CAPABILITY": b"+ more\r\n" * 400_000}),
        {("imap_no_response", "flood"), ("imap_no_response", "garbage"), ("timeout", "deadline")},
    ),
    "imap_drips_a_byte_a_second": (
        "imap",
        drip(b"* OK " + b"x" * 100 + b"\r\n", 1.0),
        {("timeout", "deadline")},
    ),
    "imap_sends_a_100mb_line": ("imap", endless_line, {("imap_no_response", "line_too_long")}),
    "imap_lists_50000_folders": (
        "imap",
        FakeIMAP(folders=[f'(\\HasNoChildren) "/" "F{i}"'.encode() for i in range(50_000)]),
        {("imap_no_response", "too_many_folders")},
    ),
    "imap_never_answers": ("imap", silent, {("timeout", "no_greeting")}),
}


def run_against(pki, raw_server, protocol: str, handler, tmp_path):
    """The CLI against `handler` for `protocol` (the other one on a closed port)."""
    server = raw_server(handler)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    smtp_port, imap_port = (server.port, closed) if protocol == "smtp" else (closed, server.port)
    return _measure(pki, smtp_port, imap_port, tmp_path)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_servers_end_in_time_with_bounded_memory(pki, raw_server, baseline, case, tmp_path):
    protocol, handler, expected = CASES[case]
    result, seconds, rss = run_against(pki, raw_server, protocol, handler, tmp_path)
    base_seconds, base_rss = baseline
    print(
        f"\nHOSTILE {case}: {seconds:.2f}s (closed ports {base_seconds:.2f}s), "
        f"{(rss - base_rss) / 1024:.1f} MB extra"
    )
    assert _codes(result, protocol) <= expected and _codes(result, protocol), result["errors"]
    assert seconds < DEADLINE + 1, f"{case} took {seconds:.2f}s (closed ports {base_seconds:.2f}s)"
    assert rss - base_rss < MAX_EXTRA_RSS_KB, f"{case} used {(rss - base_rss) / 1024:.0f} MB more"
