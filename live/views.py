"""GET /live/?topics=test-17,mailbox-4: one Server-Sent Events stream per page.

On each change the stream sends the page's partial, rendered for the page when it is
sent (live/partial.py), or, when it was not asked for one or could not render it, an
event that makes the page fetch the partial itself. Either way the page shows the
database's current state, so it catches up after any gap with one event, and nothing is
duplicated or missed: on every (re)connect the stream first sends one (one for all its
topics: they all show the same partial).

Under ASGI (uvicorn) the stream is an async generator waiting on an asyncio.Queue fed by
the process's hub; it holds no database connection and no thread. The checks at the
start run in a worker thread that closes its connections before the stream begins.
Under WSGI (pytest-django's live_server, a plain WSGI server) a sync generator blocks
one server thread per stream instead: correct, but that is why production runs ASGI.
"""

import asyncio
import contextlib
import logging
import queue

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from . import partial
from .hub import hub
from .stream import (
    RETRY,
    SIGNED_OUT,
    Clock,
    authorize,
    burst,
    fill,
    fill_sync,
    parse_topics,
    signed_in,
    signed_out,
)

log = logging.getLogger(__name__)


@require_GET
async def stream(request) -> HttpResponse:
    wanted, problem = parse_topics(request.GET.get("topics", ""))
    page = partial.parse(request.GET.get(partial.PARAM))
    if page is False:
        problem = partial.REFUSED
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    # The session, the user and the rules read the database: do it in a thread of its
    # own that hands its connection back, so that the open stream holds none.
    try:
        wake_at = await sync_to_async(_authorize, thread_sensitive=False)(request, wanted)
    except Exception:  # the database is down, say: the browser retries later
        log.warning("live: could not check a stream's topics", exc_info=True)
        return HttpResponse("Live updates are unavailable.", status=503, content_type="text/plain")
    if wake_at == SIGNED_OUT:
        return _event_stream(iter([signed_out()]))
    if wake_at is None:
        # A topic that does not exist, or one this user may not see: the whole stream
        # is refused. 403, not a redirect: an EventSource would follow it to
        # the login page and fail on its HTML, which says nothing.
        return HttpResponse("Not allowed.", status=403, content_type="text/plain")
    clock = Clock(wake_at)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if isinstance(request, ASGIRequest):  # only without live.asgi in front: tests
        render = None if page is None else (lambda: partial.render_asgi(request.scope, page))

        async def alive() -> bool:
            return await sync_to_async(signed_in, thread_sensitive=False)(session_key)

        return _event_stream(_async_events(wanted, clock, render, alive))
    render = None if page is None else (lambda: partial.render_wsgi(request.environ, page))
    return _event_stream(_sync_events(wanted, clock, render, lambda: signed_in(session_key)))


def _event_stream(body) -> StreamingHttpResponse:
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _authorize(request, wanted: list[str]) -> list[tuple[float, str]] | str | None:
    return authorize(request.user, wanted)


async def _async_events(wanted: list[str], clock: Clock, render=None, alive=None):
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[str] = asyncio.Queue()

    def notify(topic: str) -> None:  # runs in the hub's thread
        loop.call_soon_threadsafe(changes.put_nowait, topic)

    subscription = hub.subscribe(wanted, notify)
    try:
        yield RETRY + await fill(burst(wanted), render, clock)
        while not clock.expired:
            changed = set()
            with contextlib.suppress(TimeoutError):
                changed.add(await asyncio.wait_for(changes.get(), clock.timeout()))
            while not changes.empty():  # a burst of steps becomes one partial
                changed.add(changes.get_nowait())
            if chunk := clock.chunk(changed):
                yield await fill(chunk, render, clock, alive)
    finally:  # also on CancelledError (the client went away) and GeneratorExit
        subscription.close()


def _sync_events(wanted: list[str], clock: Clock, render=None, alive=None):
    changes: queue.SimpleQueue[str] = queue.SimpleQueue()
    subscription = hub.subscribe(wanted, changes.put)
    try:
        yield RETRY + fill_sync(burst(wanted), render, clock)
        while not clock.expired:
            changed = set()
            with contextlib.suppress(queue.Empty):
                changed.add(changes.get(timeout=clock.timeout()))
            while not changes.empty():
                changed.add(changes.get_nowait())
            if chunk := clock.chunk(changed):
                yield fill_sync(chunk, render, clock, alive)
    finally:  # GeneratorExit when the server closes the response
        subscription.close()
