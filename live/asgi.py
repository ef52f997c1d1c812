"""The live stream served straight from ASGI, in front of Django's request handling.

Through Django, every request runs in a context that keeps a thread of its own until
the request ends (request signals and sync middleware need one), and a stream is a
request that lasts minutes: a thousand open pages meant a thousand parked threads, and
some held a database connection. Here the stream is one asyncio task and a socket. The
checks at the start (session, user, topics) run once in the shared thread pool, which
closes its connections before the stream begins; then nothing but the hub's queue.

A page that names its partial (`page=`, live/partial.py) gets the partial itself in each
event: the stream has Django render it, through every middleware, in a pool thread, so
the page makes no request of its own.

Everything else, and /live/ under WSGI (tests' live server), goes through Django's view
in live/views.py, which shares the stream's rules and wording with this module.
"""

import asyncio
import contextlib
import logging
from http.cookies import SimpleCookie
from importlib import import_module
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import partial
from .hub import hub
from .stream import RETRY, SIGNED_OUT, Clock, authorize, burst, fill, parse_topics, signed_in, signed_out

log = logging.getLogger(__name__)

HEADERS = [
    (b"content-type", b"text/event-stream"),  # UTF-8 by definition
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
    (b"x-content-type-options", b"nosniff"),
]


class LiveRouter:
    """Sends GET <path> to the stream and everything else to the Django application."""

    def __init__(self, app, path: str = "/live/"):
        self.app = app
        self.path = path

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == self.path:
            await serve(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _plain(send, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-cache")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


def _session_key(scope) -> str:
    cookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            with contextlib.suppress(Exception):  # a malformed cookie header: no session
                cookie.load(value.decode("latin-1"))
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None else ""


def _authorize(session_key: str, wanted: list[str]) -> list[tuple[float, str]] | str | None:
    """The view's rules, for the user whose session cookie came with the stream."""
    from django.contrib.auth import get_user

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key or None)
    request.user = SimpleLazyObject(lambda: get_user(request))  # read inside authorize()
    return authorize(request.user, wanted)


async def serve(scope, receive, send) -> None:
    if scope.get("method") not in ("GET", "HEAD"):
        await _plain(send, 405, "Use GET.")
        return
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    wanted, problem = parse_topics(",".join(query.get("topics", [])))
    page = partial.parse(query.get(partial.PARAM, [""])[0])
    if page is False:
        problem = partial.REFUSED
    if problem:
        await _plain(send, 400, problem)
        return
    session_key = _session_key(scope)
    try:
        wake_at = await sync_to_async(_authorize, thread_sensitive=False)(session_key, wanted)
    except Exception:  # the database is down, say: the browser retries later
        log.warning("live: could not check a stream's topics", exc_info=True)
        await _plain(send, 503, "Live updates are unavailable.")
        return
    if wake_at == SIGNED_OUT:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": signed_out().encode()})
        return
    if wake_at is None:
        # 403, not a redirect: an EventSource would follow it to the login page.
        await _plain(send, 403, "Not allowed.")
        return
    render = None if page is None else (lambda: partial.render_asgi(scope, page))

    async def alive() -> bool:
        return await sync_to_async(signed_in, thread_sensitive=False)(session_key)

    await _stream(wanted, Clock(wake_at), receive, send, render, alive)


async def _stream(wanted: list[str], clock: Clock, receive, send, render=None, alive=None) -> None:
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[str] = asyncio.Queue()

    def notify(topic: str) -> None:  # runs in the hub's thread
        loop.call_soon_threadsafe(changes.put_nowait, topic)

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def write(text: str) -> None:
        await send({"type": "http.response.body", "body": text.encode(), "more_body": True})

    gone = asyncio.ensure_future(disconnected())
    subscription = hub.subscribe(wanted, notify)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await write(RETRY + await fill(burst(wanted), render, clock))
        while not clock.expired and not gone.done():
            waiting = asyncio.ensure_future(changes.get())
            done, _ = await asyncio.wait(
                {waiting, gone}, timeout=clock.timeout(), return_when="FIRST_COMPLETED"
            )
            changed = set()
            if waiting in done:
                changed.add(waiting.result())
            else:
                waiting.cancel()
            while not changes.empty():  # a burst of steps becomes one refresh
                changed.add(changes.get_nowait())
            if gone.done():
                break
            if chunk := clock.chunk(changed):
                await write(await fill(chunk, render, clock, alive))
        if not gone.done():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:  # the client went away while we wrote
        pass
    finally:
        subscription.close()
        gone.cancel()
