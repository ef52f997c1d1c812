"""SMTP test servers built on aiosmtpd's protocol class, run in a private thread.

Why not ``aiosmtpd.controller.Controller``? Its readiness check does not fit
these tests:

* ``start()`` binds, then opens a *trigger* connection to ``self.port`` to force
  the lazy protocol factory to run. With ``port=0`` that connects to port 0 and
  fails, because the real port is never read back.
* With ``ssl_context`` the trigger does a full TLS handshake using a client
  context cloned from the server options (aiosmtpd#302: flaky on some OpenSSL
  builds) and then reads the greeting with a 1 s timeout; each start also
  leaves one bogus session behind.
* ``stop()`` ends with ``Server.wait_closed()``, which since Python 3.12.1
  waits for every client connection to go away. A client stuck in the
  implicit-TLS handshake keeps it blocked for the 60 s handshake timeout.

So this module binds the listening socket itself (the port is known and
connections queue in the backlog before ``start()`` returns: no trigger needed),
accepts in an asyncio task, and on stop aborts every client socket it accepted,
so start and stop take milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import weakref
from dataclasses import dataclass

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from .tls import CertFiles, TestPKI

HOST = "127.0.0.1"
SERVER_NAME = "mail.example.test"
SECURITIES = ("starttls", "ssl", "none")
BUILTIN_MECHANISMS = ("PLAIN", "LOGIN")  # what aiosmtpd implements itself
DEFAULT_USERS = {"alice@example.test": "secret"}


def _not_login_data_deprecation(record: logging.LogRecord) -> bool:
    return "login_data is deprecated" not in record.getMessage()


# aiosmtpd's own AUTH code sets the deprecated Session.login_data and logs a
# WARNING for every successful login; keep that noise out of test reports.
logging.getLogger("mail.log").addFilter(_not_login_data_deprecation)


@dataclass
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None  # the authenticated user, None if the client did not AUTH


@dataclass
class AuthAttempt:
    mechanism: str
    login: str
    success: bool


class _SMTP(SMTP):
    # RFC 4954 sample challenges; aiosmtpd's default "User Name\x00" is unusual.
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(self, *args, greeting: str | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._greeting = greeting
        self._greeted = False

    async def push(self, status) -> None:
        # aiosmtpd hard-codes "220 <hostname> <ident>"; the first push of a
        # connection is that greeting, so swap it for the configured line.
        if self._greeted or self._greeting is None:
            return await super().push(status)
        self._greeted = True
        await super().push(self._greeting)
        if not self._greeting.startswith("220"):
            # A refusing server (e.g. "554 no service") hangs up after the greeting.
            self.transport.close()


class _Handler:
    def __init__(self, server: SMTPServer, mechanisms: tuple[str, ...]) -> None:
        self.server = server
        self.mechanisms = mechanisms

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.mechanisms:
            # aiosmtpd would print a bare "250-AUTH " line for an empty set.
            responses = [line for line in responses if not line.startswith("250-AUTH")]
        return responses

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        login = auth.login.decode("utf-8") if isinstance(auth, LoginPassword) else None
        self.server.messages.append(
            ReceivedMessage(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=envelope.original_content or b"",
                login=login,
            )
        )
        return "250 2.0.0 OK: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        try:
            # SASL PLAIN and LOGIN carry UTF-8 (RFC 4616); reject anything else.
            login = auth_data.login.decode("utf-8")
            password = auth_data.password.decode("utf-8")
        except UnicodeDecodeError:
            self.server.auth_attempts.append(AuthAttempt(mechanism, repr(auth_data.login), False))
            return AuthResult(success=False, handled=False)
        success = self.server.users.get(login) == password
        self.server.auth_attempts.append(AuthAttempt(mechanism, login, success))
        return AuthResult(success=success, handled=False, auth_data=auth_data)


class SMTPServer:
    """A running SMTP server on 127.0.0.1; see :func:`start_smtp`."""

    host = HOST

    def __init__(
        self,
        tls_context,
        security: str,
        users: dict[str, str],
        auth_require_tls: bool,
        auth_mechanisms: tuple[str, ...],
        greeting: str | None,
        smtp_kwargs: dict,
    ) -> None:
        self.security = security
        self.users = users  # mutable: tests may add users while it runs
        self.messages: list[ReceivedMessage] = []
        self.auth_attempts: list[AuthAttempt] = []
        self.connections = 0
        self._implicit_tls = tls_context if security == "ssl" else None
        self._handler = _Handler(self, auth_mechanisms)
        self._smtp_kwargs = {
            # An explicit hostname stops aiosmtpd from calling socket.getfqdn(),
            # which would ask the system resolver.
            "hostname": SERVER_NAME,
            "ident": "ESMTP test server",
            "tls_context": tls_context if security == "starttls" else None,
            # aiosmtpd only counts STARTTLS as "TLS"; implicit TLS must not be
            # refused with 538, so the check only applies to STARTTLS/none.
            "auth_require_tls": auth_require_tls and security != "ssl",
            "auth_exclude_mechanism": [m for m in BUILTIN_MECHANISMS if m not in auth_mechanisms],
            "authenticator": self._handler.authenticate,
            "enable_SMTPUTF8": True,
            **smtp_kwargs,
        }
        self._greeting = greeting
        self._listener = socket.create_server((HOST, 0))
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._clients: set[socket.socket] = set()
        self._sessions: weakref.WeakSet[_SMTP] = weakref.WeakSet()  # live sessions only
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"smtp-{self.port}", daemon=True)

    def start(self) -> SMTPServer:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("SMTP test server thread did not start")
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(5)

    def __enter__(self) -> SMTPServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SMTPServer {self.security} {self.host}:{self.port}>"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._listener.close()
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        accepting = asyncio.create_task(self._accept_forever())
        self._ready.set()
        await self._stopped.wait()
        accepting.cancel()
        self._listener.close()
        # Abort instead of waiting for clients: a stuck client must not block stop.
        for session in list(self._sessions):
            for transport in (session.transport, session._original_transport):
                if transport is not None:
                    transport.abort()
        for conn in self._clients:  # also covers clients still in the TLS handshake
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        tasks = asyncio.all_tasks() - {asyncio.current_task()}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # let transports run their connection_lost callbacks
        for conn in self._clients:
            conn.close()

    async def _accept_forever(self) -> None:
        while True:
            conn, _ = await self._loop.sock_accept(self._listener)
            self.connections += 1
            self._clients = {c for c in self._clients if c.fileno() != -1}
            self._clients.add(conn)
            self._loop.create_task(self._open_session(conn))

    async def _open_session(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(
                self._make_session,
                conn,
                ssl=self._implicit_tls,
                ssl_handshake_timeout=10 if self._implicit_tls else None,
            )
        except OSError:  # includes TimeoutError and ssl.SSLError
            conn.close()  # failed TLS handshake: the client gets a closed socket

    def _make_session(self) -> _SMTP:
        session = _SMTP(self._handler, greeting=self._greeting, loop=self._loop, **self._smtp_kwargs)
        self._sessions.add(session)
        return session


def start_smtp(
    pki: TestPKI,
    security: str = "starttls",
    users: dict[str, str] | None = None,
    auth_require_tls: bool | None = None,
    auth_mechanisms: tuple[str, ...] | list[str] | None = None,
    greeting: str | None = None,
    cert_files: CertFiles | None = None,
    **smtp_kwargs,
) -> SMTPServer:
    """Start an SMTP server on 127.0.0.1 with an ephemeral port.

    security: "starttls" (STARTTLS offered), "ssl" (implicit TLS on connect) or
        "none" (no TLS at all).
    users: login -> password; any str works (UTF-8 over SASL PLAIN and LOGIN).
    auth_require_tls: only offer/accept AUTH after TLS. Default None means
        True for "starttls" and False for "none"; implicit TLS always allows AUTH.
        ``security="none", auth_require_tls=True`` gives a server that never
        offers AUTH.
    auth_mechanisms: subset of ("PLAIN", "LOGIN"), default both; empty means the
        server advertises no AUTH.
    greeting: full first line, e.g. "554 5.3.2 go away" (a non-220 greeting is
        followed by a hang-up). Default "220 mail.example.test ESMTP test server".
    cert_files: (cert, key) to present instead of the PKI leaf, e.g.
        ``pki.expired_cert_files()``.
    smtp_kwargs: passed to aiosmtpd.smtp.SMTP (e.g. auth_required=True,
        data_size_limit=...).
    """
    if security not in SECURITIES:
        raise ValueError(f"security must be one of {SECURITIES}, not {security!r}")
    mechanisms = tuple(
        m.upper() for m in (BUILTIN_MECHANISMS if auth_mechanisms is None else auth_mechanisms)
    )
    unknown = set(mechanisms) - set(BUILTIN_MECHANISMS)
    if unknown:
        raise ValueError(f"unsupported AUTH mechanisms: {sorted(unknown)}")
    if auth_require_tls is None:
        auth_require_tls = security == "starttls"
    tls_context = pki.server_context(cert_files) if security != "none" else None
    server = SMTPServer(
        tls_context,
        security,
        dict(DEFAULT_USERS if users is None else users),
        auth_require_tls,
        mechanisms,
        greeting,
        smtp_kwargs,
    )
    return server.start()
