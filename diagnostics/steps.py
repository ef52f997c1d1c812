"""Named, timed probe steps, the per-test deadline, and redaction of secrets."""

import base64
import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

REDACTED = "[redacted]"
MAX_DETAIL = 500


@dataclass
class ProbeConfig:
    """Everything a probe needs from the outside world; no Django here."""

    timeout: float = 10.0
    deadline: float = 30.0
    allowed_private: list[str] = field(default_factory=list)
    # Ports a non-exempt host may be probed on: the mail ports, plus MAIL_ALLOWED_PORTS.
    allowed_ports: tuple[int, ...] = (25, 465, 587, 2525, 143, 993)
    nameservers: list[str] = field(default_factory=list)
    ca_file: str = ""
    ehlo_name: str = "localhost"


@dataclass
class Step:
    protocol: str
    name: str
    ok: bool
    ms: int
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class Redactor:
    """Removes a password, in the forms it travels in, from any text."""

    def __init__(self, password: str, usernames: tuple[str, ...] = ()):
        forms: set[str] = set()
        if password:
            raw = password.encode()
            forms.add(password)
            forms.add(base64.b64encode(raw).decode())
            for user in usernames:
                for blob in (b"\0" + user.encode() + b"\0" + raw, user.encode() + b"\0" + raw):
                    forms.add(base64.b64encode(blob).decode())
        # Longest first so that a password inside a longer token goes with the token.
        self.forms = sorted((f for f in forms if f), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.forms:
            text = text.replace(secret, REDACTED)
        return text


def short(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Deadline:
    """A wall-clock budget for one protocol test.

    When it runs out, the registered socket is shut down from a timer thread so that
    a blocking read returns at once, whatever the server is doing.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.start = time.monotonic()
        self._sock = None
        self._lock = threading.Lock()
        self.fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self.start))

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def watch(self, sock) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class StepRecorder:
    """Records the steps of one protocol test; at most one step is open at a time."""

    def __init__(self, protocol: str, emit: Callable[[Step], None], redact: Redactor, transcript=None):
        from .transcript import Transcript

        self.protocol = protocol
        self.emit = emit
        self.redact = redact
        self.transcript = transcript if transcript is not None else Transcript(redact)
        self.steps: list[Step] = []
        self.current: str | None = None
        self._started = 0.0

    def begin(self, name: str) -> None:
        self.current = name
        self._started = time.monotonic()

    def _close(self, ok: bool, detail: str) -> None:
        if self.current is None:
            return
        ms = int((time.monotonic() - self._started) * 1000)
        step = Step(self.protocol, self.current, ok, ms, short(self.redact(detail)))
        self.steps.append(step)
        self.current = None
        self.emit(step)

    def ok(self, detail: str = "") -> None:
        self._close(True, detail)

    def fail(self, detail: str) -> str | None:
        """Close the open step as failed; return its name (None when none was open)."""
        name = self.current
        self._close(False, detail)
        return name
