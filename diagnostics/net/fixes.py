"""Work out a fix when a TLS mode failure points at the other mode.

We try the other mode once on the same port, then each mode's standard port,
only far enough to see the server speak its protocol: no password is sent, so
these tries never count against the account's login attempts.
"""

import contextlib
from collections.abc import Callable

from . import errors
from .errors import ProbeError
from .steps import Deadline, ProbeConfig, StepRecorder
from .transport import NONE, SECURITY_LABELS, SSL, STANDARD_PORTS, STARTTLS, ServerSettings
from .words import N_


def _points_to_other_mode(server: ServerSettings, error: ProbeError) -> bool:
    if error.code == errors.SSL and error.reason in ("wrong_mode", "handshake"):
        return True
    # A client waiting for a greeting on an implicit-TLS port hears nothing at all.
    if server.security in (STARTTLS, NONE) and error.step == "greeting":
        return error.code == errors.TIMEOUT or (
            error.code in (errors.IMAP_NO_RESPONSE, errors.SMTP_FATAL) and error.reason == "closed"
        )
    return False


def _candidates(protocol: str, server: ServerSettings) -> list[tuple[int, str]]:
    other = STARTTLS if server.security == SSL else SSL
    found = [(server.port, other), (STANDARD_PORTS[(protocol, other)], other)]
    if server.security != NONE:
        found.append((STANDARD_PORTS[(protocol, server.security)], server.security))
    unique = []
    for candidate in found:
        if candidate != (server.port, server.security) and candidate not in unique:
            unique.append(candidate)
    return unique


# How a protocol checks that a server gets as far as the login step in a mode; the
# probes pass theirs in, so that this module needs neither probe.
Speaks = Callable[[ServerSettings, ProbeConfig, Deadline, StepRecorder], bool]


def _speaks(speaks: Speaks, server: ServerSettings, config: ProbeConfig, seconds: float, rec) -> bool:
    deadline = Deadline(seconds)
    try:
        return speaks(server, config, deadline, rec)
    except Exception:  # any failure simply means "not this mode"
        return False
    finally:
        deadline.cancel()


def close_quietly(client) -> None:
    """Drop a trial connection without a goodbye."""
    if client is not None and getattr(client, "sock", None) is not None:
        with contextlib.suppress(OSError):
            client.sock.close()


def suggest_tls_fix(
    protocol: str,
    server: ServerSettings,
    error: ProbeError,
    config: ProbeConfig,
    deadline: Deadline,
    rec: StepRecorder,
    speaks: Speaks,
) -> ProbeError:
    """Return the error, with a suggestion attached when another mode works."""
    if error.suggestion is not None or not _points_to_other_mode(server, error):
        return error
    scratch = StepRecorder(protocol, lambda step: None, rec.redact, rec.transcript)
    for port, security in _candidates(protocol, server):
        remaining = deadline.remaining()
        if remaining < 0.5:
            break
        trial = ServerSettings(server.host, port, security, server.username)
        rec.transcript.note(f"checking {SECURITY_LABELS[security]} on port {port}")
        if not _speaks(speaks, trial, config, min(config.timeout, remaining), scratch):
            continue
        wanted, had = SECURITY_LABELS[security], SECURITY_LABELS[server.security]
        suggestion = {f"{protocol}_security": security}
        if port == server.port:
            message = N_("Port {port} expects {wanted}, not {had}.").format(port=port, wanted=wanted, had=had)
        else:
            suggestion[f"{protocol}_port"] = port
            message = N_("Use {wanted} on port {port}: the server answers there.").format(
                wanted=wanted, port=port
            )
        suggestion["message"] = message
        # The fix's words stay in the suggestion, never glued to the detail: each is a
        # sentence of its own that pages translate and show side by side.
        fixed = ProbeError(
            errors.SSL,
            error.detail,
            server_reply=error.server_reply,
            reason="wrong_mode",
            suggestion=suggestion,
        )
        fixed.step = error.step
        return fixed
    return error
