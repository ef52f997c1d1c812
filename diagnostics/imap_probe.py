"""IMAP test: dns, connect, tls, greeting, capability, starttls, login, list, sent_folder."""

import contextlib
import imaplib

from . import errors
from .classify import classify
from .errors import ProbeError
from .sent_folder import Folder, find_sent, parse_list
from .steps import Deadline, ProbeConfig, StepRecorder, short
from .transport import SSL, STARTTLS, ServerSettings, describe_tls, open_socket, tls_context


class GuardedIMAP4(imaplib.IMAP4):
    """imaplib, but every socket comes from the guard and every step is recorded."""

    def __init__(self, rec: StepRecorder, server: ServerSettings, config: ProbeConfig, deadline):
        self.rec = rec
        self.server = server
        self.config = config
        self.deadline = deadline
        self.context = tls_context(config)
        super().__init__(server.host, server.port, timeout=config.timeout)

    def _create_socket(self, timeout):
        sock = open_socket(
            self.rec,
            self.host,
            self.port,
            self.server.security == SSL,
            self.config,
            self.deadline,
            self.context,
        )
        self.rec.begin("greeting")
        return sock

    def _get_capabilities(self):
        # imaplib reads the greeting, then asks for CAPABILITY: split the two steps.
        self.rec.ok(short(self.welcome.decode("utf-8", "replace")))
        self.rec.begin("capability")
        super()._get_capabilities()
        self.rec.ok(" ".join(self.capabilities))


def _login(client: GuardedIMAP4, username: str, password: str) -> str:
    if "AUTH=PLAIN" in client.capabilities:
        # AUTHENTICATE PLAIN carries UTF-8; LOGIN's quoting is ASCII only.
        client.authenticate("PLAIN", lambda _: f"\0{username}\0{password}".encode())
        return "AUTHENTICATE PLAIN"
    if "LOGINDISABLED" in client.capabilities:
        raise ProbeError(
            errors.IMAP_AUTH,
            "The server refuses passwords on an unencrypted connection (LOGINDISABLED).",
            reason="logindisabled",
        )
    client.login(username, password)
    return "LOGIN"


def _run(client: GuardedIMAP4, server: ServerSettings, password: str) -> Folder:
    rec = client.rec
    if server.security == STARTTLS:
        rec.begin("starttls")
        if "STARTTLS" not in client.capabilities:
            raise ProbeError(
                errors.SSL,
                "The server does not offer STARTTLS on this port.",
                reason="starttls_not_offered",
            )
        client.starttls(ssl_context=client.context)
        client.deadline.watch(client.sock)
        rec.ok(describe_tls(client.sock))

    rec.begin("login")
    method = _login(client, server.username, password)
    rec.ok(f"{method} accepted")

    rec.begin("list")
    typ, data = client.list()
    if typ != "OK":
        raise imaplib.IMAP4.error(b" ".join(d for d in data if isinstance(d, bytes)))
    folders = parse_list(data)
    rec.ok(f"{len(folders)} folders")

    rec.begin("sent_folder")
    sent = find_sent(folders)
    if sent is None:
        names = ", ".join(f.name for f in folders[:20])
        raise ProbeError(
            errors.NO_SENT_FOLDER,
            f"No folder is marked as Sent or has a known Sent name. Folders: {names}",
            reason="not_found",
        )
    rec.ok(sent.name)
    return sent


def probe_imap(server: ServerSettings, password: str, config: ProbeConfig, rec: StepRecorder):
    """Run the IMAP test; return (sent_folder_name | None, ProbeError | None)."""
    deadline = Deadline(config.deadline)
    client = None
    try:
        client = GuardedIMAP4(rec, server, config, deadline)
        sent = _run(client, server, password)
        return sent.name, None
    except Exception as exc:  # every failure becomes a classified error
        step = rec.current
        error = classify(exc, "imap", step, deadline.fired)
        rec.fail(error.detail + (f" — {error.server_reply}" if error.server_reply else ""))
        error.step = step or ""
        return None, error
    finally:
        deadline.cancel()
        if client is not None and getattr(client, "sock", None) is not None:
            try:
                client.sock.settimeout(1)
                client.logout()
            except Exception:
                with contextlib.suppress(Exception):
                    client.shutdown()
