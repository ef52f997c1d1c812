"""Reading a page's live wiring (templates/live/watch.html) the way htmx does."""

import html
import re
from urllib.parse import parse_qs, urlsplit

_REFRESH = re.compile(r'<span hidden[^>]* hx-get="([^"]+)"')
_CONNECT = re.compile(r'sse-connect="([^"]+)"')
CLOSE = '<div id="live" hx-swap-oob="outerHTML">'


def refresh_url(page: str) -> str:
    """The URL the page re-fetches on each pushed event."""
    match = _REFRESH.search(page)
    assert match, "the page watches nothing"
    return html.unescape(match[1])


def stream_url(page: str) -> str:
    match = _CONNECT.search(page)
    assert match, "the page opens no stream"
    return html.unescape(match[1])


def closes_stream(body: str) -> bool:
    """A refresh answer that ends the page's stream: nothing is left to wait for."""
    return CLOSE in body


def stream_topics(page: str) -> str:
    """The topics the page's stream watches, as the stream's URL names them."""
    return parse_qs(urlsplit(stream_url(page)).query)["topics"][0]
