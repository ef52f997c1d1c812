"""Reporting a shared store that is down: once a minute, not once per call.

A page makes dozens of cache calls; with Redis down each would log a traceback.
"""

import logging
import threading
import time


class Outage:
    def __init__(self, logger: logging.Logger, what: str, interval: float = 60.0):
        self.logger = logger
        self.what = what
        self.interval = interval
        self._lock = threading.Lock()
        self._last = -interval
        self._missed = 0

    def report(self, exc: BaseException) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                self._missed += 1
                return
            missed, self._missed, self._last = self._missed, 0, now
        more = f" ({missed} more failures since the last report)" if missed else ""
        self.logger.warning(
            "%s unavailable, carrying on without it: %s: %s%s", self.what, type(exc).__name__, exc, more
        )
