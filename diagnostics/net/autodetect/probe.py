"""Protocol-level probes for guessing: is this an IMAP or SMTP server, does it do
implicit TLS or STARTTLS, and which AUTH mechanisms does it offer? No login.

The connection goes through the guard; certificates are verified for the name we
guessed, so a server whose certificate does not match is not a match (Thunderbird
makes the same call).
"""

import contextlib
import ssl
from dataclasses import dataclass, field

from .. import guard
from ..errors import ProbeError
from ..steps import Deadline, ProbeConfig
from ..transport import tls_context
from . import dnsq

MAX_LINE = 8192
MAX_LINES = 200


class NotAServer(Exception):
    pass


@dataclass
class ProbeResult:
    host: str
    port: int
    security: str
    auth: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Lines:
    """A line reader with size limits; rebuilt after STARTTLS."""

    def __init__(self, sock):
        self.sock = sock
        self.file = sock.makefile("rb")

    def readline(self) -> str:
        line = self.file.readline(MAX_LINE + 1)
        if not line:
            raise NotAServer("the server closed the connection")
        if len(line) > MAX_LINE:
            raise NotAServer("the server sent an overlong line")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")


def _connect(host: str, port: int, config: ProbeConfig, deadline: Deadline):
    name = guard.normalize_host(host)
    dnsq.refuse_reserved(name, config)
    timeout = max(0.05, min(config.timeout, deadline.remaining()))
    addresses = guard.resolve(name, config, timeout)
    guard.check(name, addresses, config)
    sock, _ip = guard.open_connection(name, addresses, port, timeout)
    deadline.watch(sock)
    return name, sock


def _tls(sock, name: str, config: ProbeConfig, deadline: Deadline):
    wrapped = tls_context(config).wrap_socket(sock, server_hostname=name)
    deadline.watch(wrapped)
    return wrapped


def _imap_capabilities(lines: _Lines, tag: str) -> set[str]:
    lines.send(f"{tag} CAPABILITY")
    caps: set[str] = set()
    for _ in range(MAX_LINES):
        line = lines.readline()
        if line.upper().startswith("* CAPABILITY "):
            caps.update(line.split()[2:])
        elif line.startswith(tag + " "):
            if line.split()[1].upper() != "OK":
                raise NotAServer(f"CAPABILITY failed: {line[:120]}")
            return {c.upper() for c in caps}
    raise NotAServer("no end to the CAPABILITY answer")


def _imap(host: str, port: int, security: str, config: ProbeConfig, deadline: Deadline) -> ProbeResult:
    name, sock = _connect(host, port, config, deadline)
    try:
        if security == "ssl":
            sock = _tls(sock, name, config, deadline)
        lines = _Lines(sock)
        greeting = lines.readline()
        if not greeting.upper().startswith(("* OK", "* PREAUTH")):
            raise NotAServer(f"not an IMAP greeting: {greeting[:120]}")
        caps = _imap_capabilities(lines, "a1")
        if security == "starttls":
            if "STARTTLS" not in caps:
                raise NotAServer("the server does not offer STARTTLS")
            lines.send("a2 STARTTLS")
            reply = lines.readline()
            if not reply.upper().startswith("A2 OK"):
                raise NotAServer(f"STARTTLS refused: {reply[:120]}")
            sock = _tls(sock, name, config, deadline)
            lines = _Lines(sock)
            caps = _imap_capabilities(lines, "a3")
        with contextlib.suppress(OSError):
            lines.send("a9 LOGOUT")
        auth = {c.partition("=")[2] for c in caps if c.startswith("AUTH=")}
        if "LOGINDISABLED" not in caps:
            auth.add("LOGIN")  # the plain LOGIN command, allowed on this (encrypted) connection
        auth = sorted(auth)
        if not auth:
            raise NotAServer("the server offers no way to log in")
        return ProbeResult(name, port, security, auth)
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def _smtp_reply(lines: _Lines) -> tuple[int, list[str]]:
    texts = []
    for _ in range(MAX_LINES):
        line = lines.readline()
        if len(line) < 3 or not line[:3].isdigit():
            raise NotAServer(f"not an SMTP reply: {line[:120]}")
        texts.append(line[4:])
        if line[3:4] != "-":
            return int(line[:3]), texts
    raise NotAServer("no end to the SMTP reply")


def _ehlo(lines: _Lines, config: ProbeConfig) -> list[str]:
    lines.send(f"EHLO {config.ehlo_name}")
    code, texts = _smtp_reply(lines)
    if code != 250:
        raise NotAServer(f"EHLO refused ({code})")
    return [t.upper() for t in texts[1:]]


def _smtp(host: str, port: int, security: str, config: ProbeConfig, deadline: Deadline) -> ProbeResult:
    name, sock = _connect(host, port, config, deadline)
    try:
        if security == "ssl":
            sock = _tls(sock, name, config, deadline)
        lines = _Lines(sock)
        code, _ = _smtp_reply(lines)
        if code != 220:
            raise NotAServer(f"the SMTP greeting was {code}, not 220")
        extensions = _ehlo(lines, config)
        if security == "starttls":
            if "STARTTLS" not in extensions:
                raise NotAServer("the server does not offer STARTTLS")
            lines.send("STARTTLS")
            code, _ = _smtp_reply(lines)
            if code != 220:
                raise NotAServer(f"STARTTLS refused ({code})")
            sock = _tls(sock, name, config, deadline)
            lines = _Lines(sock)
            extensions = _ehlo(lines, config)
        with contextlib.suppress(OSError):
            lines.send("QUIT")
        auth = sorted({m for e in extensions if e.startswith(("AUTH ", "AUTH=")) for m in e[5:].split()})
        if not auth:
            # A relay (an MX on 587) without AUTH cannot send for our users.
            raise NotAServer("the server offers no AUTH: it is not a submission server")
        return ProbeResult(name, port, security, auth)
    finally:
        with contextlib.suppress(OSError):
            sock.close()


def probe(protocol: str, host: str, port: int, security: str, config: ProbeConfig, timeout: float):
    """A ProbeResult, or raises NotAServer with the reason."""
    deadline = Deadline(max(0.05, timeout))
    try:
        run = _imap if protocol == "imap" else _smtp
        return run(host, port, security, config, deadline)
    except (ProbeError, dnsq.DNSFailure) as exc:
        raise NotAServer(exc.detail) from None
    except ssl.SSLError as exc:
        raise NotAServer(f"TLS failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise NotAServer("no answer in time") from None
    except OSError as exc:
        if deadline.fired:
            raise NotAServer("no answer in time") from None
        raise NotAServer(exc.strerror or exc.__class__.__name__) from None
    finally:
        deadline.cancel()
