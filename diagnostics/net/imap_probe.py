"""IMAP test: dns, connect, tls, greeting, capability, starttls, login, list, sent_folder
(which creates the Sent folder when asked to and none exists)."""

import contextlib
import imaplib

from . import capabilities, errors, replies, sasl
from .classify import classify
from .credentials import Credential
from .errors import ProbeError
from .fixes import close_quietly, suggest_tls_fix
from .sent_create import create_sent
from .sent_folder import Folder, find_sent, parse_list
from .steps import Deadline, ProbeConfig, StepRecorder, short
from .transport import NONE, STARTTLS, GuardedClient, ServerSettings, describe_tls
from .words import N_

# Gmail's pre-SPECIAL-USE way of flagging folders; imaplib refuses unknown commands.
imaplib.Commands.setdefault("XLIST", ("AUTH", "SELECTED"))

MAX_LINE = 64 * 1024
MAX_LITERAL = 1024 * 1024
MAX_BYTES = 16 * 1024 * 1024  # a 50,000-folder LIST is about 3 MB
MAX_LINES = 200_000
DEADLINE_CHECK_LINES = 256
MAX_FOLDERS = 20_000  # real mailboxes have hundreds; tens of thousands is a hostile server


class GuardedIMAP4(GuardedClient, imaplib.IMAP4):
    """imaplib, but every socket comes from the guard, every step and line is recorded,
    and the server cannot make us read without bound."""

    def __init__(self, rec: StepRecorder, server: ServerSettings, config: ProbeConfig, deadline):
        self._guard_setup(rec, server, config, deadline)
        self.bytes_read = 0
        self.lines_read = 0
        super().__init__(server.host, server.port, timeout=config.timeout)

    def _create_socket(self, timeout):
        return self._guarded_socket(self.host, self.port)

    def _count(self, size: int) -> None:
        self.bytes_read += size
        self.lines_read += 1
        # Lines already buffered are read without touching the socket, so the deadline's
        # shutdown cannot stop them: a busy machine took 6.5 s over 50,000 folder lines.
        if self.lines_read % DEADLINE_CHECK_LINES == 0 and self.deadline.expired:
            raise classify(TimeoutError("deadline"), "imap", self.rec.current, deadline_hit=True)
        if self.bytes_read > MAX_BYTES or self.lines_read > MAX_LINES:
            raise ProbeError(
                errors.IMAP_NO_RESPONSE,
                N_("The server sent far more data than this conversation needs."),
                reason="flood",
            )

    def readline(self):
        line = self.file.readline(MAX_LINE + 1)
        self._count(len(line))
        self.rec.transcript.server(line)
        if self.lines_read == 1:
            other = replies.foreign_protocol(line, "imap")
            if other:
                raise ProbeError(
                    errors.IMAP_NO_RESPONSE,
                    N_(
                        "This port answers with {protocol}, not IMAP: the port number is probably wrong."
                    ).format(protocol=other.upper()),
                    server_reply=short(line.decode("utf-8", "replace")),
                    reason=f"wrong_protocol_{other}",
                )
        if len(line) > MAX_LINE:
            raise ProbeError(
                errors.IMAP_NO_RESPONSE,
                N_("The server sent a line far longer than IMAP needs."),
                reason="line_too_long",
            )
        return line

    def read(self, size):
        if size > MAX_LITERAL:
            raise ProbeError(
                errors.IMAP_NO_RESPONSE,
                N_("The server announced a {size}-byte literal.").format(size=size),
                reason="literal_too_big",
            )
        data = self.file.read(size)
        self._count(len(data))
        self.rec.transcript.server(f"{{literal, {len(data)} bytes}}")
        return data

    def send(self, data):
        self.rec.transcript.client(data)
        super().send(data)

    def _get_capabilities(self):
        # imaplib reads the greeting, then asks for CAPABILITY: split the two steps.
        self.rec.ok(short(self.welcome.decode("utf-8", "replace")))
        self.rec.begin("capability")
        super()._get_capabilities()
        self.rec.ok(" ".join(self.capabilities))


def _login_once(client: GuardedIMAP4, username: str, password: str) -> str:
    if "AUTH=PLAIN" in client.capabilities:
        # AUTHENTICATE PLAIN carries UTF-8; LOGIN's quoting is ASCII only.
        client.authenticate("PLAIN", lambda _: f"\0{username}\0{password}".encode())
        return "AUTHENTICATE PLAIN"
    if "LOGINDISABLED" in client.capabilities:
        suggestion = None
        if client.server.security == NONE and "STARTTLS" in client.capabilities:
            suggestion = {
                "imap_security": STARTTLS,
                "message": N_("Port {port} accepts passwords only after STARTTLS: use STARTTLS.").format(
                    port=client.server.port
                ),
            }
        raise ProbeError(
            errors.IMAP_AUTH,
            N_("The server refuses passwords on an unencrypted connection (LOGINDISABLED)."),
            reason="logindisabled",
            suggestion=suggestion,
        )
    if password.isascii() and username.isascii():
        client.login(username, password)
    else:
        # Send the password as a literal so its UTF-8 bytes arrive untouched.
        client.literal = password.encode("utf-8")
        typ, data = client._simple_command("LOGIN", client._quote(username))
        if typ != "OK":
            raise client.error(data[-1])
        client.state = "AUTH"
    return "LOGIN"


def _token_login(client: GuardedIMAP4, server: ServerSettings, bearer: sasl.Bearer) -> str:
    offered = [cap[5:] for cap in client.capabilities if cap.upper().startswith("AUTH=")]
    mechanism = sasl.token_mechanism(
        offered,
        errors.IMAP_AUTH,
        N_("The server does not offer sign-in with a token (XOAUTH2 or OAUTHBEARER)."),
    )

    def attempt(token: str) -> tuple[bool, str, dict | None]:
        exchange = sasl.Exchange(mechanism, server.username, token, server.host, server.port)
        try:
            client.authenticate(mechanism, exchange)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            reply = exc.args[0] if exc.args else ""
            reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            return False, short(reply, 300), exchange.challenge
        return True, "", None

    remark = sasl.log_in("imap", attempt, bearer, server.username, client.rec.transcript.note)
    return f"AUTHENTICATE {mechanism}{remark}"


def _login(client: GuardedIMAP4, server: ServerSettings, credential: Credential) -> str:
    if credential.kind == sasl.OAUTH:
        return _token_login(client, server, credential)
    password = credential.value
    try:
        return _login_once(client, server.username, password)
    except imaplib.IMAP4.error as first:
        reply = str(first.args[0] if first.args else "")
        reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        verdict = replies.imap_auth_verdict(reply)
        if not server.alt_username or verdict.reason != replies.WRONG_CREDENTIALS:
            raise
        client.rec.transcript.note(f"trying the other username form: {server.alt_username}")
        try:
            _login_once(client, server.alt_username, password)
        except imaplib.IMAP4.error:
            raise first from None
        raise ProbeError(
            errors.IMAP_AUTH,
            N_("The server accepts this password with the username {username}, not {typed}.").format(
                username=server.alt_username, typed=server.username
            ),
            server_reply=short(reply, 300),
            reason="username_form",
            suggestion={
                "imap_username": server.alt_username,
                "message": N_("Log in to IMAP as {username}.").format(username=server.alt_username),
            },
        ) from None


def list_folders(client: GuardedIMAP4) -> list[Folder]:
    """SPECIAL-USE flags when offered, then XLIST (old Gmail), then a plain LIST."""
    if "SPECIAL-USE" in client.capabilities or "LIST-EXTENDED" in client.capabilities:
        typ, data = client._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
        if typ == "OK":
            return _parse_bounded(client._untagged_response(typ, data, "LIST")[1])
    if "XLIST" in client.capabilities:
        typ, data = client._simple_command("XLIST", '""', '"*"')
        if typ == "OK":
            return _parse_bounded(client._untagged_response(typ, data, "XLIST")[1])
    typ, data = client.list('""', '"*"')
    if typ != "OK":
        raise imaplib.IMAP4.error(b" ".join(d for d in data if isinstance(d, bytes)))
    return _parse_bounded(data)


def _parse_bounded(data: list) -> list[Folder]:
    """Refused before parsing when there are too many: parsing 50,000 lines is CPU work
    that no deadline interrupts (over a second on a busy machine)."""
    lines = sum(1 for item in data if item)
    if lines > MAX_FOLDERS:
        raise ProbeError(
            errors.IMAP_NO_RESPONSE,
            N_("The server listed {count} folders, far more than any real mailbox has.").format(count=lines),
            reason="too_many_folders",
        )
    return parse_list(data)


def secure_and_log_in(client: GuardedIMAP4, server: ServerSettings, credential: Credential) -> None:
    """STARTTLS when asked for, then the login step (also opens the round trip's session)."""
    rec = client.rec
    if server.security == STARTTLS:
        rec.begin("starttls")
        if "STARTTLS" not in client.capabilities:
            raise ProbeError(
                errors.SSL,
                N_("The server does not offer STARTTLS on this port."),
                reason="starttls_not_offered",
            )
        client.starttls(ssl_context=client.context)
        rec.transcript.note(f"TLS started: {describe_tls(client.sock)}")
        client.deadline.watch(client.sock)
        rec.ok(describe_tls(client.sock))

    rec.begin("login")
    command = _login(client, server, credential)
    if command.endswith(sasl.RENEWED):
        rec.ok(N_("{command} (token renewed) accepted").format(command=command.removesuffix(sasl.RENEWED)))
    else:
        rec.ok(N_("{command} accepted").format(command=command))


def _run(
    client: GuardedIMAP4,
    server: ServerSettings,
    credential: Credential,
    preferred: str,
    seen=None,
    create=False,
):
    rec = client.rec
    secure_and_log_in(client, server, credential)
    rec.begin("list")
    folders = list_folders(client)
    rec.ok(N_("{count} folders").format(count=len(folders)))

    rec.begin("sent_folder")
    usable = [f for f in folders if f.selectable]
    chosen = next((f for f in usable if preferred and f.name == preferred), None)
    sent = chosen or find_sent(folders)
    created = False
    if sent is None and create:
        try:
            sent, created = create_sent(client, folders), True
        except ProbeError as error:
            error.folders = [f.name for f in usable]
            raise
        usable.append(sent)
    if sent is None:
        names = ", ".join(f.name for f in usable[:20])  # the server's names, never translated
        error = ProbeError(
            errors.NO_SENT_FOLDER,
            N_("No folder is marked as Sent or has a known Sent name. Folders: {folders}").format(
                folders=names
            )
            if names
            else N_("No folder is marked as Sent or has a known Sent name. Folders: none"),
            reason="not_found",
        )
        error.folders = [f.name for f in usable]
        raise error
    if chosen:
        rec.ok(N_("{folder} (your choice)").format(folder=sent.name))
    elif created:
        rec.ok(N_("{folder} (created)").format(folder=sent.name))
    else:
        rec.ok(sent.name)
    if seen is not None:
        seen.update(capabilities.read_imap(client))
    return sent, usable


def speaks(server: ServerSettings, config: ProbeConfig, deadline: Deadline, rec: StepRecorder) -> bool:
    """Whether the server gets as far as the login step in this mode (for TLS fixes)."""
    client = GuardedIMAP4(rec, server, config, deadline)
    try:
        if server.security == STARTTLS:
            if "STARTTLS" not in client.capabilities:
                return False
            client.starttls(ssl_context=client.context)
        return True
    finally:
        close_quietly(client)


def probe_imap(
    server: ServerSettings,
    credential: Credential,
    config: ProbeConfig,
    rec: StepRecorder,
    preferred_sent: str = "",
    seen: dict | None = None,
    create_sent: bool = False,
):
    """Run the IMAP test; return (sent folder name | None, folder names, ProbeError | None).

    `credential` is a Password, or a sasl.Bearer to log in with a token. `seen`, a dict,
    receives the capabilities after login and INBOX's STATUS (see capabilities).
    `create_sent`: when no folder is the Sent folder, create one (sent_create)."""
    deadline = Deadline(config.deadline)
    client = None
    try:
        client = GuardedIMAP4(rec, server, config, deadline)
        sent, usable = _run(client, server, credential, preferred_sent, seen, create_sent)
        return sent.name, [f.name for f in usable], None
    except Exception as exc:  # every failure becomes a classified error
        step = rec.current
        error = classify(exc, "imap", step, deadline.fired)
        rec.fail(error.detail + (f" — {error.server_reply}" if error.server_reply else ""))
        error.step = step or ""
        folders = getattr(error, "folders", None) or []
        _close(client)
        client = None
        return None, folders, suggest_tls_fix("imap", server, error, config, deadline, rec, speaks)
    finally:
        deadline.cancel()
        _close(client)


def _close(client) -> None:
    if client is None or getattr(client, "sock", None) is None:
        return
    try:
        client.sock.settimeout(1)
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()
