"""What a live stream sends, and when: shared by the ASGI stream (live/asgi.py) and
the Django view (live/views.py)."""

import re
import time
from importlib import import_module

from django.conf import settings

MAX_TOPICS = 20
RETRY_MS = 1000  # how soon the browser reconnects after the stream ends
RETRY = f"retry: {RETRY_MS}\n\n"
HEARTBEAT = ": ping\n\n"
SIGNED_OUT = "signed-out"  # the verdict, and the event that tells the page
# A browser without our script would reconnect after this; ours closes the stream.
SIGNED_OUT_RETRY_MS = 60_000


def authorize(user, wanted: list[str]) -> list[tuple[float, str]] | str | None:
    """[(wall-clock time, topic) the stream sends by itself]; SIGNED_OUT for a visitor
    with no session (signed out in another tab, or the session expired); None when this
    user may not watch every topic wanted. Runs in a pool thread; closes its
    connections, so that the open stream holds none."""
    from django.db import connections

    from . import topics as registry

    try:
        if not user.is_authenticated:
            return SIGNED_OUT
        if not all(registry.allowed(user, t) for t in wanted):
            return None
        return [(when.timestamp(), topic) for topic in wanted for when in registry.wake_at(topic)]
    finally:
        connections.close_all()


def signed_in(session_key: str) -> bool:
    """Whether the session a stream was opened with still signs someone in: read afresh,
    as a sign-out in another tab or an expiry ends it while the stream is open. Runs in a
    pool thread and closes its connections, like authorize()."""
    from django.contrib.auth import get_user
    from django.db import connections
    from django.http import HttpRequest

    if not session_key:
        return False
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    try:
        return get_user(request).is_authenticated
    finally:
        connections.close_all()


def parse_topics(raw: str) -> tuple[list[str], str]:
    """(topics, "") or ([], what is wrong with the request)."""
    wanted = [t for t in raw.split(",") if t][: MAX_TOPICS + 1]
    if not wanted or len(wanted) > MAX_TOPICS or len(set(wanted)) != len(wanted):
        return [], f"Name 1 to {MAX_TOPICS} different topics."
    return wanted, ""


class Clock:
    """When the stream next has something to do: a deadline topic, a heartbeat, or its end."""

    def __init__(self, wake_at: list[tuple[float, str]]):
        now, wall = time.monotonic(), time.time()
        self.end = now + settings.LIVE_STREAM_MAX_SECONDS
        self.heartbeat = settings.LIVE_HEARTBEAT_SECONDS
        self.next_beat = now + self.heartbeat
        # Half a second late, so that the page reads a test already past its deadline.
        # Moments already past need nothing: the opening events make the page re-read.
        self.pending = sorted((now + at + 0.5 - wall, topic) for at, topic in wake_at if at + 0.5 > wall)

    def timeout(self) -> float:
        soonest = self.pending[0][0] if self.pending else self.end
        return max(0.0, min(self.end, self.next_beat, soonest) - time.monotonic())

    def stop(self) -> None:
        self.end = 0.0

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def due(self) -> set[str]:
        now = time.monotonic()
        topics = set()
        while self.pending and self.pending[0][0] <= now:
            topics.add(self.pending.pop(0)[1])
        return topics

    def chunk(self, changed: set[str]) -> str:
        """What to send now: an event for the changed topics, a heartbeat, or nothing."""
        changed.update(self.due())
        now = time.monotonic()
        if changed:
            self.next_beat = now + self.heartbeat
            return burst(changed)
        if now >= self.next_beat:
            self.next_beat = now + self.heartbeat
            return HEARTBEAT
        return ""


def burst(topics) -> str:
    """One event for topics that changed together. A page's topics all trigger the same
    refresh (templates/live/watch.html), so one event makes one refresh at once: with an
    event per topic the page had to wait a few milliseconds to fold them into one."""
    return event(min(topics))


def event(topic: str) -> str:
    # The data is not used, but EventSource drops an event whose data is empty.
    return f"event: {topic}\ndata: {topic}\n\n"


# The event whose data is the page's partial, rendered for this page (live/partial.py).
HTML = "html"
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line in an event stream


def html_event(html: str) -> str:
    """The partial as one event: a `data:` field per line, which the browser joins
    again with line feeds."""
    return f"event: {HTML}\n" + "".join(f"data: {line}\n" for line in LINE_BREAK.split(html)) + "\n"


def signed_out() -> str:
    """The whole answer to a signed-out page: a stream, not an error status, so that the
    page can say why it stopped updating (an EventSource sees no status code, and a
    refused one is retried and logged as an error by the browser)."""
    return f"retry: {SIGNED_OUT_RETRY_MS}\n\n" + event(SIGNED_OUT)


def filled(chunk: str, rendered: tuple[str, bool] | None, clock: Clock) -> str:
    """An event replaced by the page's partial when the stream rendered it
    (live/partial.py); a signed-out answer ends the stream there."""
    if rendered is None:
        return chunk
    text, ended = rendered
    if ended:
        clock.stop()
    return text


def wants_partial(chunk: str) -> bool:
    """True for a chunk that is an event (not a heartbeat): the moment to render."""
    return chunk.startswith("event: ")


def ended(clock: Clock) -> str:
    clock.stop()
    return signed_out()


async def fill(chunk: str, render, clock: Clock, alive=None) -> str:
    """`chunk`, or the partial `render()` (a coroutine function, or None) brings instead.
    Before anything the partial does not vouch for (a plain event, a heartbeat), `alive()`
    says whether the session still holds: once it ends the stream sends `signed-out` and
    stops, so no topic name goes to a signed-out page."""
    if render is not None and wants_partial(chunk):
        return filled(chunk, await render(), clock)
    if alive is not None and not await alive():
        return ended(clock)
    return chunk


def fill_sync(chunk: str, render, clock: Clock, alive=None) -> str:
    """The same with plain functions, for a stream served from a thread (WSGI)."""
    if render is not None and wants_partial(chunk):
        return filled(chunk, render(), clock)
    if alive is not None and not alive():
        return ended(clock)
    return chunk
