"""Fuzzing (hypothesis): validators and the SMTP reply reader raise only our own errors."""

import contextlib
import smtplib
import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics.net import guard, validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.redaction import Redactor
from diagnostics.net.smtp_probe import GuardedSMTP
from diagnostics.net.steps import Deadline, ProbeConfig, StepRecorder
from diagnostics.net.transport import ServerSettings

hosts = st.one_of(
    st.text(max_size=300),
    st.from_regex(r"[0-9a-fxA-FX.:\[\]%]{1,60}", fullmatch=True),
    st.ip_addresses().map(str),
)


@given(hosts)
def test_host_validation_raises_only_invalid_input(value):
    try:
        result = guard.normalize_host(value)
    except ProbeError as exc:
        assert exc.code == "invalid_input"
    else:
        assert result.isascii() and len(result) <= 253


@given(hosts)
def test_ip_parsing_never_crashes(value):
    ip = guard.parse_ip(value)
    if ip is not None:
        guard.is_blocked(ip)


@given(st.text(max_size=400), st.one_of(st.text(max_size=12), st.integers()), st.text(max_size=20))
def test_field_validators_raise_only_probe_errors(text, port, security):
    for check, value in (
        (validate.email, text),
        (validate.port, port),
        (validate.security, security),
        (validate.username, text),
        (validate.host, text),
    ):
        try:
            check(value)
        except ProbeError as exc:
            assert exc.code == "invalid_input"


def _client_reading(data: bytes) -> GuardedSMTP:
    config = ProbeConfig(timeout=1, deadline=5)
    rec = StepRecorder("smtp", lambda s: None, Redactor("pw"))
    client = GuardedSMTP(rec, ServerSettings("127.0.0.1", 25, "none", "u"), config, Deadline(5))
    ours, theirs = socket.socketpair()
    theirs.sendall(data)
    theirs.close()
    ours.settimeout(1)
    client.sock = ours
    return client


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(st.binary(max_size=20_000))
def test_the_smtp_reply_reader_raises_only_smtp_or_probe_errors(data):
    client = _client_reading(data)
    try:
        for _ in range(50):
            code, message = client.getreply()
            assert isinstance(code, int) and isinstance(message, bytes)
    except (smtplib.SMTPException, ProbeError):
        pass
    finally:
        client.close()


xml_texts = st.one_of(
    st.binary(max_size=3000),
    st.builds(
        lambda host, port, kind, sock: (
            f'<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="x">'
            f'<incomingServer type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
            f"<socketType>{sock}</socketType><username>%EMAILADDRESS%</username></incomingServer>"
            f"</emailProvider></clientConfig>"
        ).encode("utf-8", "replace"),
        st.text(max_size=80),
        st.text(max_size=8),
        st.sampled_from(["imap", "smtp", "pop3", ""]),
        st.sampled_from(["SSL", "STARTTLS", "plain", "", "<"]),
    ),
)


@settings(max_examples=300)
@given(xml_texts)
def test_the_autoconfig_reader_raises_only_its_own_error(body):
    from diagnostics.net.autodetect.autoconfig import parse
    from diagnostics.net.autodetect.model import SourceFailed

    with contextlib.suppress(SourceFailed):
        parse(body, "example.test", "autoconfig", "high", "https://autoconfig.example.test/")
