from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling, reswap, retarget

from diagnostics import autodetection as autodetect_service
from diagnostics.flows import apply_fix, choose_sent_folder, start_test
from diagnostics.models import TestError
from diagnostics.net import providers, validate
from diagnostics.net.errors import ProbeError

from .forms import AUTOFILLED, MailboxForm, SignupForm, initial_for, keep_user_edits
from .models import Mailbox
from .throttle import client_ip, signup_blocked


def _get_mailbox_for_user(request: HttpRequest, pk: int) -> Mailbox:
    """The user's own mailbox, or 404: other users' mailboxes do not exist for them."""
    return get_object_or_404(Mailbox, pk=pk, user=request.user)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("mailbox_list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and signup_blocked(client_ip(request)):
        form.add_error(None, "Too many sign-ups from your network in the last hour. Please try again later.")
    elif request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("mailbox_new")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = request.user.mailboxes.all()
    return render(request, "accounts/mailbox_list.html", {"mailboxes": mailboxes})


def _provider_context(email: str, start_for=None) -> dict:
    """The provider panel: rules and detected settings, never waiting on the network
    (start_for=user queues the cascade for a domain nobody has looked up yet, within
    that user's budget)."""
    try:
        email = validate.email(email) if "@" in (email or "") else ""
    except ProbeError:
        email = ""
    detection = None
    if email:
        budget = str(start_for.pk) if start_for is not None else ""
        detection = autodetect_service.hint(email, start=start_for is not None, budget=budget)
    return {"provider": detection.provider if detection else None, "detection": detection}


@login_required
def mailbox_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = MailboxForm(request.POST)
        if form.is_valid():
            mailbox = form.save(commit=False)
            mailbox.user = request.user
            mailbox.save()
            start_test(mailbox)
            return redirect("mailbox_detail", pk=mailbox.pk)
        email = request.POST.get("email", "")
    else:
        email = request.GET.get("email", "")
        form = MailboxForm(initial=initial_for(email))
    ctx = {"form": form, "is_new": True, **_provider_context(email)}
    # What the page shows now counts as filled in by us until the user changes it.
    ctx["autofilled"] = [(name, form[name].value() or "") for name in AUTOFILLED]
    return render(request, "accounts/mailbox_form.html", ctx)


# The polling hint gives up after this many polls (the worker may be down).
MAX_HINT_POLLS = 20


@login_required
def provider_hint(request: HttpRequest) -> HttpResponse:
    """htmx: the provider's rules and pre-filled server fields for an address.

    Known domains answer at once. For others the cascade runs in the worker and the
    panel polls (`poll=N`) until the answer is in the cache; then the panel and the
    server fields are swapped in, or the whole form when the provider needs SSO or
    cannot be connected."""
    email = request.GET.get("email", "")[:320]
    try:
        poll = max(0, int(request.GET.get("poll", 0)))
    except ValueError:
        poll = 0
    ctx = {"is_new": True, "poll": poll, **_provider_context(email, start_for=request.user)}
    detection = ctx["detection"]
    if detection is not None and detection.pending and poll >= MAX_HINT_POLLS:
        detection.pending = False
        ctx["gave_up"] = True
    detected = initial_for(email, detection)
    ctx["form"] = MailboxForm(initial=keep_user_edits(detected, request.GET))
    ctx["autofilled"] = [(name, detected.get(name, "")) for name in AUTOFILLED]
    template = "accounts/mailbox_form.html"
    if not poll:
        return render(request, f"{template}#details", ctx)
    if detection is None or detection.pending or ctx.get("gave_up"):
        return render(request, f"{template}#provider_panel", ctx)
    blocked = (providers.SSO_REQUIRED, providers.UNSUPPORTED)
    if detection.provider is not None and detection.provider.policy in blocked:
        return reswap(retarget(render(request, f"{template}#details", ctx), "#details"), "outerHTML")
    oob = {**ctx, "oob": True}
    html = render_to_string(f"{template}#provider_panel", ctx, request)
    html += render_to_string(f"{template}#login_name", oob, request)
    html += render_to_string(f"{template}#protocol_logins", oob, request)
    html += render_to_string(f"{template}#servers", oob, request)
    return HttpResponse(html)


@login_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        form.save()
        start_test(mailbox)
        return redirect("mailbox_detail", pk=mailbox.pk)
    ctx = {"form": form, "mailbox": mailbox, "is_new": False, **_provider_context(mailbox.email)}
    return render(request, "accounts/mailbox_form.html", ctx)


def _detail_context(mailbox: Mailbox) -> dict:
    test = mailbox.latest_test()
    steps = list(test.steps.all()) if test else []
    test_errors = list(test.errors.all()) if test else []
    return {
        "mailbox": mailbox,
        "test": test,
        "smtp_steps": [s for s in steps if s.protocol == "smtp"],
        "imap_steps": [s for s in steps if s.protocol == "imap"],
        "test_errors": test_errors,
        # The provider may have been found by MX at connect time: prefer what was saved.
        "provider": providers.by_id(mailbox.provider_id) or providers.lookup(mailbox.email),
    }


@login_required
def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    return render(request, "accounts/mailbox_detail.html", _detail_context(mailbox))


@login_required
def mailbox_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx polling target: the live steps; polling stops once the test is final."""
    mailbox = _get_mailbox_for_user(request, pk)
    ctx = _detail_context(mailbox)
    response = render(request, "accounts/mailbox_detail.html#test_status", ctx)
    if request.htmx and ctx["test"] is not None and ctx["test"].is_final:
        stop = HttpResponseStopPolling(response.content)
        return stop
    return response


@login_required
@require_POST
def mailbox_retest(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    start_test(mailbox)
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_apply_fix(request: HttpRequest, pk: int, error_pk: int) -> HttpResponse:
    """One click: apply the fix a failed test worked out, and test again."""
    mailbox = _get_mailbox_for_user(request, pk)
    error = get_object_or_404(TestError, pk=error_pk, test__mailbox=mailbox)
    if apply_fix(mailbox, error) is None:
        messages.error(request, "That suggestion cannot be applied; edit the settings instead.")
    else:
        messages.success(request, (error.suggestion or {}).get("message", "Fix applied.") + " Testing again.")
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_choose_folder(request: HttpRequest, pk: int) -> HttpResponse:
    """Use another listed folder as the Sent folder, remember it, and test again."""
    mailbox = _get_mailbox_for_user(request, pk)
    folder = request.POST.get("folder", "")[:500]
    if choose_sent_folder(mailbox, folder) is None:
        messages.error(request, "Pick one of the folders your server listed.")
    else:
        messages.success(request, f"Using “{folder}” as the Sent folder. Testing again.")
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
def mailbox_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    if request.method == "POST":
        mailbox.delete()
        messages.success(request, f"{mailbox.email} was removed.")
        return redirect("mailbox_list")
    return render(request, "accounts/mailbox_confirm_delete.html", {"mailbox": mailbox})


@login_required
def sso_start(request: HttpRequest, provider: str) -> HttpResponse:
    """Where the Sign in with Google / Microsoft buttons lead."""
    if provider not in ("google", "microsoft"):
        raise Http404
    label = "Google" if provider == "google" else "Microsoft"
    return render(request, "accounts/sso.html", {"label": label, "provider": provider})
