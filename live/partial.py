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


async def render_asgi(scope: dict, page: tuple[str, str]) -> tuple[str, bool] | None:
    """The partial for the stream whose ASGI scope this is. Django's sync handler runs it
    in one thread of the event loop's default pool: its async handler would hop between
    the loop and a thread for every middleware, twice, which made each render 5-7 ms
    slower on a busy machine. The pool's few threads (cores + 4) bound how many renders
    run at once, as the admission limit (emailcenter/admission.py) bounds requests."""
    from asgiref.sync import sync_to_async

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
    return await sync_to_async(_render_scope, thread_sensitive=False)(request)


def _render_scope(scope: dict) -> tuple[str, bool] | None:
    from django.core.handlers.asgi import ASGIRequest, get_script_prefix
    from django.urls import set_script_prefix

    set_script_prefix(get_script_prefix(scope))
    return _render(lambda: ASGIRequest(scope, io.BytesIO()), scope["path"])


def render_wsgi(environ: dict, page: tuple[str, str]) -> tuple[str, bool] | None:
    """The same for a stream served by a WSGI server (the tests' live server)."""
    from django.core.handlers.wsgi import WSGIRequest, get_script_name
    from django.urls import set_script_prefix

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
    set_script_prefix(get_script_name(request))
    return _render(lambda: WSGIRequest(request), path)


def _render(make_request, path: str) -> tuple[str, bool] | None:
    """One request through Django's sync handler, as a server would make it."""
    from django.core import signals

    try:
        handler = _sync_handler()
        signals.request_started.send(sender=__name__)
        response = handler.get_response(make_request())
        try:
            headers = {k.lower(): v for k, v in response.items()}
            status, body = response.status_code, response.content
        finally:
            response.close()  # request_finished: this thread lets its database connection go
    except Exception:
        log.warning("live: could not render %s for a stream", path, exc_info=True)
        return None
    return answer(status, headers, body)


_handler = None
_handler_lock = threading.Lock()


def _sync_handler():
    """Django's request handling with the middleware loaded for sync code, once."""
    global _handler
    from django.core.handlers.wsgi import WSGIHandler

    with _handler_lock:
        if _handler is None:
            _handler = WSGIHandler()
    return _handler
