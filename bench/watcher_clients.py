"""Simulated open mailbox pages for bench/watchers.py, in one asyncio loop with httpx.

`Page` behaves like the mailbox page with htmx's SSE extension: one stream per page,
which brings the status partial in its `html` events (live/partial.py); a topic's bare
event (sent when the stream could not render) re-fetches the partial ("queue last": an
event during a fetch starts one more fetch after it); a partial that replaces the
stream element out of band without `sse-connect` closes the stream; a stream that ends
is reopened after the server's `retry`, as EventSource does.

`Poller` is the old design: one GET of the status partial per second until it shows
the final state.
"""

import asyncio
import re
import time

import httpx

HTMX = {"HX-Request": "true"}
LIVE_TAG = re.compile(r'<div id="live"[^>]*>')
MAX_RECONNECTS = 5
RETRY_SECONDS = 1.0


PAGES_PER_POOL = 50  # httpx's pool does work linear in its connections on every request


def client(cookie_name: str, session_key: str, base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base,
        cookies={cookie_name: session_key},
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        timeout=httpx.Timeout(60.0, read=None),  # a stream may be quiet for its heartbeat interval
    )


def closes_stream(body: str) -> bool:
    """True when a refresh answer swaps the stream element out for one without a stream."""
    return any("hx-swap-oob" in tag and "sse-connect" not in tag for tag in LIVE_TAG.findall(body))


class Page:
    def __init__(self, http: httpx.AsyncClient, stream_url: str, refresh_url: str, topic: str):
        self.http = http
        self.stream_url = stream_url
        self.refresh_url = refresh_url
        self.topic = topic  # the test topic whose event means "your result is in"
        self.opened_at: float | None = None
        self.errors: list[str] = []
        self.failed = False  # gave up: refused, or reconnected too often
        self.connects = 0
        self.events: list[tuple[float, str]] = []
        self.heartbeats: list[float] = []
        # start, end, status, shows Connected: the page's own fetches, and the partials
        # its stream brought (start = end = arrival, status 200).
        self.fetches: list[tuple[float, float, int, bool]] = []
        self.pushed = 0  # partials that came in `html` events
        self.closed_by_page = False
        self._fetching = False
        self._again = False
        self._stream: asyncio.Task | None = None
        self._refreshing: asyncio.Task | None = None
        self._opening = False

    def start(self, opened: asyncio.Semaphore) -> asyncio.Task:
        self._stream = asyncio.create_task(self._run(opened))
        return self._stream

    async def _run(self, opened: asyncio.Semaphore) -> None:
        for attempt in range(MAX_RECONNECTS + 1):
            try:
                await self._listen(opened if attempt == 0 else None)
            except httpx.HTTPError as exc:  # recorded; EventSource reconnects after `retry`
                self.errors.append(f"stream: {type(exc).__name__}")
            if self.closed_by_page or self.failed:
                return
            await asyncio.sleep(RETRY_SECONDS)
        self.failed = True

    async def _listen(self, opened: asyncio.Semaphore | None) -> None:
        held = opened is not None
        if held:
            await opened.acquire()
        try:
            async with self.http.stream("GET", self.stream_url, headers={"Accept": "text/event-stream"}) as r:
                if r.status_code != 200:
                    self.errors.append(f"stream answered {r.status_code}")
                    self.failed = True  # EventSource gives up on an error status too
                    return
                self.connects += 1
                self._opening = True  # until the stream's first event (its partial) is in
                if self.opened_at is None:
                    self.opened_at = time.monotonic()
                if held:
                    opened.release()
                    held = False
                event, data = None, []
                async for line in r.aiter_lines():
                    if line.startswith(":"):
                        self.heartbeats.append(time.monotonic())
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[6:] if line.startswith("data: ") else line[5:])
                    elif not line and event:
                        self.events.append((time.monotonic(), event))
                        self._opening = False
                        if event == "html":
                            self.swap("\n".join(data))
                        else:
                            self.trigger()
                        event, data = None, []
                    if self.closed_by_page:
                        return
        finally:
            if held:
                opened.release()

    def swap(self, body: str) -> None:
        """The partial the stream brought, swapped in as htmx does."""
        now = time.monotonic()
        self.pushed += 1
        self.fetches.append((now, now, 200, "Connected" in body))
        if closes_stream(body):
            self.closed_by_page = True

    def trigger(self) -> None:
        """A bare event: fetch the partial at once, or once more after the fetch in flight."""
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        self._again = False
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        try:
            while True:
                started = time.monotonic()
                try:
                    try:
                        response = await self.http.get(self.refresh_url, headers=HTMX)
                    except httpx.RemoteProtocolError:
                        # A keep-alive connection the server had just closed: browsers
                        # resend an idempotent request once on a new connection.
                        response = await self.http.get(self.refresh_url, headers=HTMX)
                    body = response.text
                    self.fetches.append(
                        (started, time.monotonic(), response.status_code, "Connected" in body)
                    )
                    if closes_stream(body):
                        self.closed_by_page = True
                        if self._stream is not None:
                            self._stream.cancel()
                        return
                except httpx.HTTPError as exc:
                    self.fetches.append((started, time.monotonic(), 0, False))
                    self.errors.append(f"refresh: {type(exc).__name__}")
                if not self._again:
                    return
                self._again = False
        finally:
            self._fetching = False

    def first_event_after(self, since: float) -> float | None:
        """The first event for this page's test: its partial, or the bare topic."""
        return next((t for t, kind in self.events if t >= since and kind in (self.topic, "html")), None)

    def first_connected_after(self, since: float) -> float | None:
        return next((end for start, end, _, connected in self.fetches if start >= since and connected), None)

    @property
    def settled(self) -> bool:
        """Opened, with the opening event in and no refresh in flight (or given up)."""
        opened = self.opened_at is not None and not self._opening
        return (opened or self.failed) and not self._fetching

    def stop(self) -> None:
        for task in (self._stream, self._refreshing):
            if task is not None:
                task.cancel()


class Poller:
    """The old page: GET the status partial every second until it is final."""

    def __init__(self, http: httpx.AsyncClient, url: str):
        self.http = http
        self.url = url
        self.requests: list[tuple[float, float, int]] = []  # start, end, status
        self.connected_at: float | None = None

    async def run(self, offset: float, until: float) -> None:
        await asyncio.sleep(offset)  # pages were opened at different moments
        next_at = time.monotonic()
        while self.connected_at is None and time.monotonic() < until:
            started = time.monotonic()
            try:
                response = await self.http.get(self.url, headers=HTMX)
                status, body = response.status_code, response.text
            except httpx.HTTPError:
                status, body = 0, ""
            ended = time.monotonic()
            self.requests.append((started, ended, status))
            if status == 200 and "Connected" in body:
                self.connected_at = ended
                return
            # htmx's "every 1s" ticks on; a tick that finds the last request in flight is dropped.
            next_at += 1.0
            while next_at < ended:
                next_at += 1.0
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
