"""Sign in with Google / Microsoft for a mailbox: start, callback, and the choice
when the provider vouches for another address than the one typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from accounts.models import Mailbox

from . import client, connect, providers
from .removal import revoke_quietly

CONNECTED = gettext_noop("%(email)s is connected with %(provider)s. Testing it now.")


def _provider(provider_id: str) -> providers.OAuthProvider:
    found = providers.get(provider_id)
    if found is None:
        raise Http404
    return found


def _trouble(request: HttpRequest, provider, message: str, status: int) -> HttpResponse:
    return render(request, "mailauth/trouble.html", {"provider": provider, "message": message}, status=status)


@login_required
def start(request: HttpRequest, provider: str) -> HttpResponse:
    """Where "Sign in with Google/Microsoft" and "Reconnect" lead: to the provider's
    consent page, or to a page naming what the administrator must set."""
    found = _provider(provider)
    if not found.configured:
        # An explanation the person was sent to, not a failure of this request: 200.
        return render(request, "mailauth/not_configured.html", {"provider": found})
    mailbox = None
    if request.GET.get("mailbox"):
        mailbox = get_object_or_404(Mailbox, pk=request.GET["mailbox"], user=request.user)
    typed = request.GET.get("email", "")[:254].strip()
    try:
        return connect.begin(request, found, typed=typed, mailbox=mailbox)
    except client.ProviderUnavailable:
        return _trouble(
            request, found, f"{found.label}'s sign-in page cannot be reached right now. Try again.", 502
        )


@login_required
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    found = _provider(provider)
    if not found.configured:
        return render(request, "mailauth/not_configured.html", {"provider": found}, status=503)
    try:
        outcome = connect.finish(request, found)
    except connect.Refused as refused:
        return _trouble(request, found, str(refused), 400)
    except client.ProviderUnavailable:
        return _trouble(
            request,
            found,
            _("%(provider)s could not be reached to finish the sign-in. Try again.")
            % {"provider": found.label},
            502,
        )
    if isinstance(outcome, connect.Pending):
        return redirect("mailauth_choose")
    messages.success(request, _(CONNECTED) % {"email": outcome.email, "provider": found.label})
    return redirect("mailbox_detail", pk=outcome.pk)


@login_required
def choose(request: HttpRequest) -> HttpResponse:
    """The provider vouched for another address than the one typed: connect that one, or stop."""
    held = connect.pending(request)
    if held is None:
        return redirect("mailbox_list")
    return render(
        request, "mailauth/choose.html", {"pending": held, "provider": providers.get(held.provider)}
    )


@login_required
@require_POST
def choose_answer(request: HttpRequest) -> HttpResponse:
    taken = connect.take_pending(request)
    if taken is None:
        return redirect("mailbox_list")
    held, token = taken
    provider = _provider(held["provider"])
    if request.POST.get("action") != "connect":
        revoke_quietly(provider, token)
        messages.info(request, _("Nothing was connected."))
        return redirect("mailbox_list")
    mailbox = connect.connect(request.user, provider, held["email"], held["subject"], token)
    messages.success(request, _(CONNECTED) % {"email": mailbox.email, "provider": provider.label})
    return redirect("mailbox_detail", pk=mailbox.pk)
