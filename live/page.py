"""What a page watches: the context for templates/live/watch.html, and keeping it right.

A view puts `live = watch(...)` in its context while there is something to wait for
(None otherwise); its refresh view passes the response through `follow()`, which
closes the page's stream once nothing is left to wait for, or points it at new topics
(a newer test of the same mailbox).
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse

from .partial import PARAM, partial

__all__ = ["follow", "partial", "watch"]


def watch(topics: list[str], refresh: str, target: str) -> dict:
    """refresh: the URL of the partial (a view marked `live.partial.partial`) that the
    stream sends on any event, or that the page re-fetches when the stream could not;
    target: its CSS selector."""
    refresh = f"{refresh}?{urlencode({'live': ','.join(topics)})}"
    stream = f"{reverse('live_stream')}?{urlencode({'topics': ','.join(topics), PARAM: refresh}, safe=',/')}"
    return {"topics": topics, "refresh": refresh, "target": target, "stream": stream}


def follow(request: HttpRequest, response: HttpResponse, live: dict | None) -> HttpResponse:
    """Add an out-of-band replacement of the page's stream element when what the page
    should watch is no longer what it watches (named by the refresh URL's `live`)."""
    watching = request.GET.get("live")
    if watching is None or not request.headers.get("HX-Request"):
        return response
    if watching != (",".join(live["topics"]) if live else ""):
        # Without the request: the element needs no context processor (they would cost
        # queries on every final refresh, when a thousand pages may refresh at once).
        oob = render_to_string("live/watch.html", {"live": live, "oob": True})
        response.content += oob.encode()
    return response
