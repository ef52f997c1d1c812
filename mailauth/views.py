"""Sign in with Google / Microsoft for a mailbox: start, callback, and the choice
when the provider vouches for another address than the one typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from accounts.models import Mailbox
from core.ids import as_id
from diagnostics.net import validate
from diagnostics.net.errors import ProbeError

from . import client, connect, paths, providers, requests
from .removal import revoke_quietly

CONNECTED = gettext_noop("%(email)s is connected with %(provider)s. Testing it now.")


def _provider(provider_id: str) -> providers.OAuthProvider:
    found = providers.get(provider_id)
    if found is None:
        raise Http404
    return found


def _trouble(request: HttpRequest, provider, message: str, status: int) -> HttpResponse:
    return render(request, "mailauth/trouble.html", {"provider": provider, "message": message}, status=status)


def _typed_email(request: HttpRequest) -> str:
    typed = request.GET.get("email", "")[:254].strip()
    if not typed and request.GET.get("mailbox", "").isdigit():
        mailbox = Mailbox.objects.filter(pk=request.GET["mailbox"], user=request.user).first()
        typed = mailbox.email if mailbox else ""
    return typed


def _not_configured(request: HttpRequest, provider, status: int = 200) -> HttpResponse:
    """No OAuth client for this provider here: a way forward for the person (Google: an
    app password; Microsoft: a support request), and the setup steps for staff only."""
    typed = _typed_email(request)
    context = {
        "provider": provider,
        "path": paths.APP_PASSWORD if provider.id == providers.GOOGLE else paths.REQUEST,
        "email": typed,
        "connect_url": reverse("mailbox_new") + (f"?{urlencode({'email': typed})}" if typed else ""),
        "message": requests.prefilled_message(provider.label, typed),
    }
    if request.user.is_staff:
        context["setup"] = {
            "missing": provider.missing,
            "redirect_uri": request.build_absolute_uri(reverse("mailauth_callback", args=[provider.id])),
        }
    return render(request, "mailauth/not_configured.html", context, status=status)


@login_required
@require_POST
def ask_for_sign_in(request: HttpRequest, provider: str) -> HttpResponse:
    """Ask support to enable Sign in with this provider; the request is filled in."""
    found = _provider(provider)
    email = request.POST.get("email", "")[:254].strip()
    try:
        email = validate.email(email) if email else ""
    except ProbeError:
        email = ""
    message = request.POST.get("message", "").strip()[:5000]
    opened = requests.open_request(request.user, found, email, message)
    messages.success(
        request,
        _(
            "Support has your request. We will email you once Sign in with %(provider)s is enabled; "
            "then connect the mailbox with one click from the connect form."
        )
        % {"provider": found.label},
    )
    return redirect("support_detail", pk=opened.pk)


@login_required
def start(request: HttpRequest, provider: str) -> HttpResponse:
    """Where "Sign in with Google/Microsoft" and "Reconnect" lead: to the provider's
    consent page, or to a page naming what the administrator must set."""
    found = _provider(provider)
    if not found.configured:
        # An explanation the person was sent to, not a failure of this request: 200.
        return _not_configured(request, found)
    mailbox = None
    if request.GET.get("mailbox"):
        mailbox = get_object_or_404(Mailbox, pk=as_id(request.GET["mailbox"]), user=request.user)
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
        return _not_configured(request, found, status=503)
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
