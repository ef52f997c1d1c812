"""SMTP test: dns, connect, tls, greeting, ehlo, starttls, auth."""

import base64
import smtplib

from . import capabilities, errors, replies, sasl
from .classify import classify
from .credentials import Credential
from .errors import ProbeError
from .fixes import close_quietly, suggest_tls_fix
from .steps import Deadline, ProbeConfig, StepRecorder
from .transport import NONE, STARTTLS, GuardedClient, ServerSettings, describe_tls
from .words import N_

MAX_REPLY_LINES = 200
MAX_LINE = 8192


class GuardedSMTP(GuardedClient, smtplib.SMTP):
    """smtplib, but every socket comes from the guard, every step and line is recorded,
    and no reply can grow without bound."""

    def __init__(self, rec: StepRecorder, server: ServerSettings, config: ProbeConfig, deadline):
        self._guard_setup(rec, server, config, deadline)
        self.first_line = b""
        super().__init__(local_hostname=config.ehlo_name, timeout=config.timeout)

    def _get_socket(self, host, port, timeout):
        # smtplib only sets _host (the name STARTTLS verifies) in its constructor.
        self._host = host
        return self._guarded_socket(host, port)

    def send(self, s):
        self.rec.transcript.client(s if isinstance(s, str) else s.decode("utf-8", "replace"))
        super().send(s)

    def getreply(self):
        if self.file is None:
            self.file = self.sock.makefile("rb")
        lines: list[bytes] = []
        while True:
            try:
                line = self.file.readline(MAX_LINE + 1)
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(f"Connection unexpectedly closed: {exc}") from exc
            if not line:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if not self.first_line:
                self.first_line = line
            self.rec.transcript.server(line)
            if len(line) > MAX_LINE:
                self.close()
                raise ProbeError(
                    errors.SMTP_FATAL,
                    N_("The server sent a reply line far longer than SMTP allows."),
                    reason="line_too_long",
                )
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                return -1, line.strip()
            if line[3:4] != b"-":
                return code, b"\n".join(lines)
            if len(lines) >= MAX_REPLY_LINES:
                self.close()
                raise ProbeError(
                    errors.SMTP_FATAL, N_("The server sent an endless multi-line reply."), reason="flood"
                )

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
        while code == 334 and self._auth_challenge_count <= 5:
            self._auth_challenge_count += 1
            challenge = base64.b64decode(resp, validate=True)  # RFC 4954: the challenge is base64
            answer = authobject(challenge).encode("utf-8")
            code, resp = self.docmd(base64.b64encode(answer).decode("ascii"))
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)


def _greeting(client: GuardedSMTP, server: ServerSettings) -> None:
    code, greeting = client.connect(server.host, server.port)
    if code != 220:
        other = replies.foreign_protocol(client.first_line, "smtp")
        if other:
            raise ProbeError(
                errors.SMTP_FATAL,
                N_("This port answers with {protocol}, not SMTP: the port number is probably wrong.").format(
                    protocol=other.upper()
                ),
                server_reply=client.first_line.decode("utf-8", "replace").strip(),
                reason=f"wrong_protocol_{other}",
            )
        raise smtplib.SMTPConnectError(code, greeting)
    client.rec.ok(f"{code} {greeting.decode('utf-8', 'replace')}")


def _starttls(client: GuardedSMTP) -> None:
    client.rec.begin("starttls")
    if not client.has_extn("starttls"):
        raise ProbeError(
            errors.SSL, N_("The server does not offer STARTTLS on this port."), reason="starttls_not_offered"
        )
    client.starttls(context=client.context)
    client.rec.transcript.note(f"TLS started: {describe_tls(client.sock)}")
    client.deadline.watch(client.sock)
    client.ehlo()
    client.rec.ok(describe_tls(client.sock))


def _try_auth(client: GuardedSMTP, username: str, password: str) -> str:
    client.user, client.password = username, password
    mechanisms = client.esmtp_features.get("auth", "").upper().split()
    for name in ("PLAIN", "LOGIN"):
        if name in mechanisms:
            method = client.auth_plain if name == "PLAIN" else client.auth_login
            client.auth(name, method, initial_response_ok=True)
            return N_("{command} accepted").format(command=f"AUTH {name}")
    client.login(username, password)
    return N_("login accepted")


def _token_auth(client: GuardedSMTP, server: ServerSettings, bearer: sasl.Bearer) -> str:
    offered = client.esmtp_features.get("auth", "").split()
    mechanism = sasl.token_mechanism(
        offered,
        errors.SMTP_AUTH,
        N_("The server does not offer sign-in with a token (XOAUTH2 or OAUTHBEARER) here."),
    )

    def attempt(token: str) -> tuple[bool, str, dict | None]:
        exchange = sasl.Exchange(mechanism, server.username, token, server.host, server.port)
        try:
            client.auth(mechanism, exchange, initial_response_ok=True)
        except smtplib.SMTPAuthenticationError as exc:
            reply = f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"
            return False, reply, exchange.challenge
        return True, "", None

    remark = sasl.log_in("smtp", attempt, bearer, server.username, client.rec.transcript.note)
    if remark == sasl.RENEWED:
        return N_("{command} accepted (token renewed)").format(command=f"AUTH {mechanism}")
    return N_("{command} accepted").format(command=f"AUTH {mechanism}")


def _auth(client: GuardedSMTP, server: ServerSettings, credential: Credential) -> None:
    rec = client.rec
    rec.begin("auth")
    if not client.has_extn("auth"):
        suggestion = None
        if server.security == NONE and client.has_extn("starttls"):
            suggestion = {
                "smtp_security": STARTTLS,
                "message": N_("Port {port} offers AUTH only after STARTTLS: use STARTTLS.").format(
                    port=server.port
                ),
            }
        raise ProbeError(
            errors.SMTP_AUTH,
            N_("The server does not offer AUTH here, so it cannot check a password."),
            reason="auth_not_offered",
            suggestion=suggestion,
        )
    if credential.kind == sasl.OAUTH:
        rec.ok(_token_auth(client, server, credential))
        return
    password = credential.value
    try:
        rec.ok(_try_auth(client, server.username, password))
        return
    except smtplib.SMTPAuthenticationError as first:
        alternative = server.alt_username
        verdict = replies.smtp_auth_verdict(
            f"{first.smtp_code} {first.smtp_error.decode('utf-8', 'replace')}"
        )
        if not alternative or verdict.reason != replies.WRONG_CREDENTIALS:
            raise
        client.rec.transcript.note(f"trying the other username form: {alternative}")
        try:
            _try_auth(client, alternative, password)
        except smtplib.SMTPException:
            raise first from None
        raise ProbeError(
            errors.SMTP_AUTH,
            N_("The server accepts this password with the username {username}, not {typed}.").format(
                username=alternative, typed=server.username
            ),
            server_reply=f"{first.smtp_code} {first.smtp_error.decode('utf-8', 'replace')}",
            reason="username_form",
            suggestion={
                "smtp_username": alternative,
                "message": N_("Log in to SMTP as {username}.").format(username=alternative),
            },
        ) from None


def log_in(client: GuardedSMTP, server: ServerSettings, credential: Credential) -> None:
    """Greeting, EHLO, STARTTLS when asked for, AUTH (also opens the round trip's session)."""
    _greeting(client, server)
    client.rec.begin("ehlo")
    code, reply = client.ehlo()
    if code != 250:
        raise smtplib.SMTPHeloError(code, reply)
    client.rec.ok(", ".join(sorted(client.esmtp_features)))
    if server.security == STARTTLS:
        _starttls(client)
    _auth(client, server, credential)


def speaks(server: ServerSettings, config: ProbeConfig, deadline: Deadline, rec: StepRecorder) -> bool:
    """Whether the server gets as far as the login step in this mode (for TLS fixes)."""
    client = GuardedSMTP(rec, server, config, deadline)
    try:
        code, _ = client.connect(server.host, server.port)
        if code != 220 or client.ehlo()[0] != 250:
            return False
        if server.security == STARTTLS:
            if not client.has_extn("starttls"):
                return False
            client.starttls(context=client.context)
        return True
    finally:
        close_quietly(client)


def probe_smtp(
    server: ServerSettings, credential: Credential, config: ProbeConfig, rec: StepRecorder, seen=None
):
    """Run the SMTP test; return None on success or the ProbeError that ended it.

    `credential` is a Password, or a sasl.Bearer to log in with a token. `seen`, a dict,
    receives the EHLO features under "smtp" (see capabilities)."""
    deadline = Deadline(config.deadline)
    client = None
    try:
        client = GuardedSMTP(rec, server, config, deadline)
        try:
            log_in(client, server, credential)
        finally:
            if seen is not None:
                seen["smtp"] = capabilities.smtp_features(client)
        return None
    except Exception as exc:  # every failure becomes a classified error
        step = rec.current
        error = classify(exc, "smtp", step, deadline.fired)
        rec.fail(error.detail + (f" — {error.server_reply}" if error.server_reply else ""))
        error.step = step or ""
        _close(client)
        client = None
        return suggest_tls_fix("smtp", server, error, config, deadline, rec, speaks)
    finally:
        deadline.cancel()
        _close(client)


def _close(client) -> None:
    if client is None or client.sock is None:
        return
    try:
        client.sock.settimeout(1)
        client.quit()
    except Exception:
        client.close()
