"""Named, timed probe steps, the per-test deadline, and redaction of secrets."""

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .redaction import Redactor
from .transcript import Transcript

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
