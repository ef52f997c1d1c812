"""A stream that renders its page's partial itself, and sends it in the event.

Without this the stream says only *that* something changed, and the page asks for its
partial: one more round trip from the browser to the server and back, after every
event (25-30 ms on a busy 2-core machine). With `page=<the partial's URL>` the stream
asks Django for that partial itself, with the stream's own headers (its cookies: the
session, the user, the CSRF cookie), as an htmx request, through every middleware, as
the page would have, and sends the answer as an `html` event that htmx swaps in
(templates/live/watch.html). The answer is the database's current state, so a page
still catches up after any gap by the next event alone.

- Only views marked `@partial` may be named: the stream is not a way to fetch any page.
- An answer that says the session has ended (emailcenter/signed_out.py) ends the
  stream with the `signed-out` event. Any other answer that is not a page (an error, a
  redirect), or a failure to render, sends the plain event instead: the page then
  fetches the partial itself, as it does without `page`.
"""

import io
import logging
import threading
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from .stream import SIGNED_OUT, html_event, signed_out

log = logging.getLogger(__name__)

PARAM = "page"
REFUSED = "This part of a page cannot be sent live."
# Headers of the stream's request that do not belong to the partial's request: the
# event's data is text, never a compressed or a "not modified" answer.
NOT_PASSED = {
    "accept",
    "accept-encoding",
    "content-length",
    "content-type",
    "if-modified-since",
    "if-none-match",
    "last-event-id",
}


def partial(view):
    """Mark a view as a partial that a page's stream may render for it."""
    view.live_partial = True
    return view


def parse(raw: str | None) -> tuple[str, str] | None | bool:
    """(path, query) of the partial a stream should render; None when the stream was
    not asked to render one; False when what was named is not a live partial."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return False
    try:
        match = resolve(parts.path)
    except Resolver404:
        return False
    return (parts.path, parts.query) if getattr(match.func, "live_partial", False) else False


def answer(status: int, headers: dict[str, str], body: bytes) -> tuple[str, bool] | None:
    """(what to send, whether the stream ends there) for the partial's answer, or None
    when the page should fetch the partial itself."""
    if status == 200 and headers.get("content-type", "").startswith("text/html"):
        return html_event(body.decode("utf-8", "replace")), False
    if status == 204 and SIGNED_OUT in headers.get("hx-trigger", ""):
        return signed_out(), True
    return None


async def render_asgi(app, scope: dict, page: tuple[str, str]) -> tuple[str, bool] | None:
    """Ask the ASGI application (Django, behind emailcenter/admission.py) for the partial."""
    import asyncio

    path, query = page
    headers = [(k, v) for k, v in scope.get("headers", ()) if k.decode("latin-1").lower() not in NOT_PASSED]
    headers += [(b"accept", b"text/html"), (b"hx-request", b"true")]
    request = {
        **scope,
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }
    asked = False
    status, answer_headers, body = 500, {}, []

    async def receive():
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.get_running_loop().create_future()  # never: Django stops listening when it answers

    async def send(message):
        nonlocal status, answer_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    try:
        await app(request, receive, send)
    except Exception:
        log.warning("live: could not render %s for a stream", path, exc_info=True)
        return None
    return answer(status, answer_headers, b"".join(body))


_handler = None
_handler_lock = threading.Lock()


def render_wsgi(environ: dict, page: tuple[str, str]) -> tuple[str, bool] | None:
    """The same through Django's WSGI handler (the tests' live server)."""
    global _handler
    from django.core.handlers.wsgi import WSGIHandler

    with _handler_lock:
        if _handler is None:
            _handler = WSGIHandler()
    path, query = page
    request = {
        key: value
        for key, value in environ.items()
        if not (key.startswith("HTTP_") and key[5:].replace("_", "-").lower() in NOT_PASSED)
    }
    request.pop("CONTENT_TYPE", None)
    request.update(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": "0",
            "HTTP_ACCEPT": "text/html",
            "HTTP_HX_REQUEST": "true",
            "wsgi.input": io.BytesIO(),
        }
    )
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status.split(" ", 1)[0])
        started["headers"] = {k.lower(): v for k, v in headers}

    try:
        chunks = _handler(request, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()  # request_finished: this thread's connection is let go
    except Exception:
        log.warning("live: could not render %s for a stream", path, exc_info=True)
        return None
    return answer(started.get("status", 500), started.get("headers", {}), body)
