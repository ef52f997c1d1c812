"""An htmx request from a page whose session has ended (signed out in another tab, or
expired) gets no login page to swap into a part of the page: it gets nothing to swap
and a `signed-out` event, and the page says so (static/js/live.js) without touching
what the person typed. Full page loads still redirect to the login page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.deprecation import MiddlewareMixin

from live.stream import SIGNED_OUT  # the page hears the same event from its stream


class SignedOutHtmxMiddleware(MiddlewareMixin):
    def process_response(self, request, response):
        htmx = getattr(request, "htmx", False)
        if not htmx or response.status_code != 302 or request.user.is_authenticated:
            return response
        if urlsplit(response["Location"]).path != resolve_url(settings.LOGIN_URL):
            return response
        answer = HttpResponse(status=204)
        answer["HX-Trigger"] = SIGNED_OUT
        return answer
