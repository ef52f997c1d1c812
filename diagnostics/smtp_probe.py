"""SMTP test: dns, connect, tls, greeting, ehlo, starttls, auth."""

import base64
import smtplib

from . import errors
from .classify import classify
from .errors import ProbeError
from .steps import Deadline, ProbeConfig, StepRecorder
from .transport import SSL, STARTTLS, ServerSettings, describe_tls, open_socket, tls_context


class GuardedSMTP(smtplib.SMTP):
    """smtplib, but every socket comes from the guard and every step is recorded."""

    def __init__(self, rec: StepRecorder, server: ServerSettings, config: ProbeConfig, deadline):
        self.rec = rec
        self.server = server
        self.config = config
        self.deadline = deadline
        self.context = tls_context(config)
        super().__init__(local_hostname=config.ehlo_name, timeout=config.timeout)

    def _get_socket(self, host, port, timeout):
        # smtplib only sets _host (the name STARTTLS verifies) in its constructor.
        self._host = host
        sock = open_socket(
            self.rec,
            host,
            port,
            self.server.security == SSL,
            self.config,
            self.deadline,
            self.context,
        )
        self.rec.begin("greeting")
        return sock

    def auth(self, mechanism, authobject, *, initial_response_ok=True):
        # smtplib encodes credentials as ASCII; servers take UTF-8 (RFC 4616, RFC 6531).
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            response = base64.b64encode(initial.encode("utf-8")).decode("ascii")
            code, resp = self.docmd("AUTH", f"{mechanism} {response}")
            self._auth_challenge_count = 1
        else:
            code, resp = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            challenge = base64.b64decode(resp, validate=True)  # RFC 4954: the challenge is base64
            answer = authobject(challenge).encode("utf-8")
            code, resp = self.docmd(base64.b64encode(answer).decode("ascii"))
            if self._auth_challenge_count > 5:
                break
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)


def _run(client: GuardedSMTP, server: ServerSettings, password: str) -> str:
    rec = client.rec
    code, greeting = client.connect(server.host, server.port)
    if code != 220:
        raise smtplib.SMTPConnectError(code, greeting)
    rec.ok(f"{code} {greeting.decode('utf-8', 'replace')}")

    rec.begin("ehlo")
    code, reply = client.ehlo()
    if code != 250:
        raise smtplib.SMTPHeloError(code, reply)
    rec.ok(", ".join(sorted(client.esmtp_features)))

    if server.security == STARTTLS:
        rec.begin("starttls")
        if not client.has_extn("starttls"):
            raise ProbeError(
                errors.SSL,
                "The server does not offer STARTTLS on this port.",
                reason="starttls_not_offered",
            )
        client.starttls(context=client.context)
        client.deadline.watch(client.sock)
        client.ehlo()
        rec.ok(describe_tls(client.sock))

    rec.begin("auth")
    if not client.has_extn("auth"):
        raise ProbeError(
            errors.SMTP_AUTH,
            "The server does not offer AUTH, so it cannot check a password here.",
            reason="auth_not_offered",
        )
    client.user, client.password = server.username, password
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    for name in ("PLAIN", "LOGIN"):
        if name in mechanisms:
            method = client.auth_plain if name == "PLAIN" else client.auth_login
            client.auth(name, method, initial_response_ok=True)
            rec.ok(f"AUTH {name} accepted")
            return name
    client.login(server.username, password)
    rec.ok("login accepted")
    return "other"


def probe_smtp(server: ServerSettings, password: str, config: ProbeConfig, rec: StepRecorder):
    """Run the SMTP test; return None on success or the ProbeError that ended it."""
    deadline = Deadline(config.deadline)
    client = None
    try:
        client = GuardedSMTP(rec, server, config, deadline)
        _run(client, server, password)
        return None
    except Exception as exc:  # every failure becomes a classified error
        step = rec.current
        error = classify(exc, "smtp", step, deadline.fired)
        rec.fail(error.detail + (f" — {error.server_reply}" if error.server_reply else ""))
        error.step = step or ""
        return error
    finally:
        deadline.cancel()
        if client is not None and client.sock is not None:
            try:
                client.sock.settimeout(1)
                client.quit()
            except Exception:
                client.close()
