"""A database that is locked or unreachable answers 503 with Retry-After, never a 500.

A view that reaches the database while it is busy (a SQLite write lock held past the
busy timeout, a PostgreSQL restart, an exhausted pool) gets this page instead of the
error page. On a POST the page keeps what the person typed: a form that sends the same
fields again, except the secret ones (passwords, tokens), which are asked for again and
never written into the page.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.views.defaults import server_error as plain_server_error

from .reporting import is_secret_name

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError)


def _kept_fields(request) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, value) pairs to send again, and the names of secret fields to ask for."""
    marked = getattr(request, "sensitive_post_parameters", ())
    kept, secret = [], []
    for name in request.POST:
        if name == "csrfmiddlewaretoken":
            continue  # the page carries a fresh one
        if name in marked or is_secret_name(name):
            secret.append(name)
        else:
            kept.extend((name, value) for value in request.POST.getlist(name))
    return kept, secret


def unavailable_page(request):
    """The 503 page for `request`; reads nothing from the database, so it is rendered
    without the request's context processors (some read it: the health banner)."""
    # A view that marks every field sensitive (sign-in, a pasted import) gets no form back:
    # the browser's Back button still holds what was typed, and this page holds none of it.
    resend = request.method == "POST" and getattr(request, "sensitive_post_parameters", ()) != "__ALL__"
    kept, secret = _kept_fields(request) if resend else ([], [])
    context = {
        "csrf_token": get_token(request),
        "retry_after": RETRY_AFTER_SECONDS,
        "action": request.get_full_path(),
        "kept": kept,
        "secret": secret,
        "is_post": request.method == "POST",
        "resend": resend,
    }
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE):
            return None
        # The message only: the database's own words, never the request or its values.
        log.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        return unavailable_page(request)


def server_error(request):
    """handler500: a database fault raised outside a view (a session saved as the response
    leaves, say) still gets the 503 page; anything else the plain error page."""
    if isinstance(sys.exception(), UNAVAILABLE):
        return unavailable_page(request)
    return plain_server_error(request)
