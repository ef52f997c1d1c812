"""An htmx request from a page whose session has ended (signed out in another tab, or
expired) gets no login page to swap into a part of the page: it gets nothing to swap
and a `signed-out` event, and the page says so (static/js/live.js) without touching
what the person typed. Full page loads still redirect to the login page.

Async-capable, without a thread hop per request: it only looks at responses that send
an htmx request to the login page."""

from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.decorators import sync_and_async_middleware

from live.stream import SIGNED_OUT  # the page hears the same event from its stream


def _to_login(request, response) -> bool:
    if not getattr(request, "htmx", False) or response.status_code != 302:
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def _signed_out() -> HttpResponse:
    answer = HttpResponse(status=204)
    answer["HX-Trigger"] = SIGNED_OUT
    return answer


@sync_and_async_middleware
def signed_out_htmx(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            response = await get_response(request)
            # A signed-in person sent to the login page (a staff-only page) is not signed out.
            if _to_login(request, response) and not (await request.auser()).is_authenticated:
                return _signed_out()
            return response

    else:

        def middleware(request):
            response = get_response(request)
            if _to_login(request, response) and not request.user.is_authenticated:
                return _signed_out()
            return response

    return middleware
