"""Map an exception raised during a probe step to a ProbeError (code, reason, reply).

The failing step's name is part of the evidence: a timeout while connecting is a
silent drop, a timeout after the IMAP greeting is a server that stopped answering.
"""

import errno
import imaplib
import smtplib
import socket
import ssl

from . import errors, replies
from .errors import ProbeError
from .steps import short
from .words import N_

_PROTOCOL_TOO_OLD = (
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "NO_PROTOCOLS_AVAILABLE",
    "NO_SHARED_CIPHER",
    "NO_CIPHERS_AVAILABLE",
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "INSUFFICIENT_SECURITY",
)
_BEFORE_SESSION = ("dns", "connect", "tls", "greeting")


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _classify_ssl(exc: ssl.SSLError, step: str | None) -> ProbeError:
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = getattr(exc, "verify_message", "") or str(exc)
        if code == 10:
            reason, detail = "cert_expired", N_("The server's certificate has expired. ({message})")
        elif code == 62 or "mismatch" in message.lower():
            reason = "hostname_mismatch"
            detail = N_("The server's certificate is for a different host name. ({message})")
        else:
            reason = "cert_untrusted"
            detail = N_("The server's certificate is not signed by an authority we trust. ({message})")
        # The library's own words (in the brackets) stay as they are.
        return ProbeError(errors.SSL, detail.format(message=message), reason=reason)
    text = str(exc)
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text.lower():
        return ProbeError(
            errors.SSL,
            N_(
                "The server did not answer our TLS handshake with TLS: this port expects STARTTLS "
                "(or no encryption) rather than SSL."
            ),
            reason="wrong_mode",
        )
    if any(marker in text for marker in _PROTOCOL_TOO_OLD):
        return ProbeError(
            errors.SSL,
            N_(
                "The server only offers TLS versions or ciphers that are too old to be safe "
                "(we need TLS 1.2+)."
            ),
            reason="protocol_too_old",
        )
    return ProbeError(
        errors.SSL, N_("The TLS handshake failed: {error}").format(error=short(text, 200)), reason="handshake"
    )


def _unknown(exc: BaseException) -> ProbeError:
    return ProbeError(
        errors.UNKNOWN,
        N_("Something unexpected happened: {error}").format(error=short(f"{type(exc).__name__}: {exc}", 200)),
        reason="unexpected",
    )


def _classify_timeout(protocol: str, step: str | None) -> ProbeError:
    if step == "connect":
        return ProbeError(
            errors.TIMEOUT,
            N_(
                "The connection attempt got no answer at all: a firewall may be silently dropping it, "
                "or the port is wrong."
            ),
            reason="connect_timeout",
        )
    if protocol == "imap" and step not in _BEFORE_SESSION:
        return ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The IMAP server stopped answering: no tagged reply came back in time."),
            reason="no_tagged_reply",
        )
    if step == "greeting":
        return ProbeError(
            errors.TIMEOUT,
            N_("The server accepted the connection but never sent its greeting."),
            reason="no_greeting",
        )
    return ProbeError(errors.TIMEOUT, N_("The server stopped answering."), reason="no_reply")


def _classify_os(exc: OSError, protocol: str, step: str | None) -> ProbeError | None:
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(
            errors.CONNECTION_REFUSED,
            N_(
                "The server refused the connection on this port: nothing listens there, or a "
                "firewall rejects it."
            ),
            reason="refused",
        )
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _classify_timeout(protocol, step)
    if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return ProbeError(
            errors.HOST_UNREACHABLE, N_("There is no network route to this server."), reason="no_route"
        )
    if exc.errno in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED):
        return None  # protocol-specific: the server hung up on us
    return _unknown(exc)


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()


def _classify_smtp(exc: Exception, step: str | None) -> ProbeError:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = _smtp_reply(exc)
        verdict = replies.smtp_auth_verdict(reply)
        return ProbeError(
            verdict.code,
            N_("The SMTP server refused to log in with these credentials."),
            server_reply=reply,
            reason=verdict.reason,
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        temporary = 400 <= exc.smtp_code < 500
        return ProbeError(
            errors.SMTP_FATAL,
            N_("The SMTP server turned the session down in its greeting for now (a temporary refusal).")
            if temporary
            else N_("The SMTP server turned the session down in its greeting."),
            server_reply=_smtp_reply(exc),
            reason="greeting_temporary" if temporary else "greeting_rejected",
        )
    if isinstance(exc, smtplib.SMTPHeloError):
        return ProbeError(
            errors.SMTP_FATAL,
            N_("The SMTP server refused our EHLO greeting."),
            server_reply=_smtp_reply(exc),
            reason="ehlo_refused",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        if step == "starttls":
            return ProbeError(
                errors.SSL,
                N_("The server advertised STARTTLS but refused to start it."),
                server_reply=_smtp_reply(exc),
                reason="starttls_refused",
            )
        return ProbeError(
            errors.SMTP_FATAL,
            N_("The SMTP server answered with an error."),
            server_reply=_smtp_reply(exc),
            reason="error_reply",
        )
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError)):
        return ProbeError(
            errors.SMTP_FATAL,
            N_("The SMTP server closed the connection in the middle of the session."),
            reason="closed",
        )
    return ProbeError(errors.SMTP_FATAL, short(str(exc), 200), reason="protocol")


def _classify_imap(exc: Exception, step: str | None) -> ProbeError:
    reply = short(_text(exc.args[0]) if exc.args else "", 300)
    if isinstance(exc, (imaplib.IMAP4.abort, ConnectionError)):
        return ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The IMAP server closed the connection or sent something that is not IMAP."),
            server_reply=reply,
            reason="closed" if ("EOF" in reply or isinstance(exc, ConnectionError)) else "garbage",
        )
    if "BYE" in reply.upper().split(" ", 2)[:2]:
        return ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The IMAP server said goodbye (BYE) and hung up."),
            server_reply=reply,
            reason="bye",
        )
    if "command error: BAD" in reply:
        return ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The IMAP server called our standard command malformed (BAD)."),
            server_reply=reply,
            reason="bad_reply",
        )
    if "got more than" in reply:
        return ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The server sent a line far longer than IMAP needs."),
            reason="line_too_long",
        )
    if step == "login":
        verdict = replies.imap_auth_verdict(reply)
        return ProbeError(
            verdict.code,
            N_("The IMAP server refused to log in with these credentials."),
            server_reply=reply,
            reason=verdict.reason,
        )
    return ProbeError(
        errors.IMAP_NO_RESPONSE,
        N_("The IMAP server answered with an error."),
        server_reply=reply,
        reason="error_reply",
    )


def _caused_by_timeout(exc: BaseException) -> bool:
    # smtplib and imaplib re-raise a socket timeout as their own "disconnected" errors.
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, (TimeoutError, socket.timeout)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def classify(exc: BaseException, protocol: str, step: str | None, deadline_hit: bool) -> ProbeError:
    """The one mapping from what went wrong to what we tell the user."""
    if isinstance(exc, ProbeError):
        return exc
    if deadline_hit:
        return ProbeError(
            errors.TIMEOUT,
            N_(
                "The {protocol} test did not finish within the time allowed; the server was answering "
                "too slowly."
            ).format(protocol=protocol.upper()),
            reason="deadline",
        )
    if isinstance(exc, ssl.SSLError):
        return _classify_ssl(exc, step)
    if _caused_by_timeout(exc):
        return _classify_timeout(protocol, step)
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        found = _classify_os(exc, protocol, step)
        if found is not None:
            return found
    if protocol == "smtp" and isinstance(exc, (smtplib.SMTPException, ConnectionError)):
        return _classify_smtp(exc, step)
    if protocol == "imap" and isinstance(exc, (imaplib.IMAP4.error, ConnectionError)):
        return _classify_imap(exc, step)
    return _unknown(exc)
