from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from diagnostics import providers
from diagnostics.flows import start_test

from .forms import MailboxForm, SignupForm, initial_for
from .models import Mailbox


def _get_mailbox_for_user(request: HttpRequest, pk: int) -> Mailbox:
    """The user's own mailbox, or 404: other users' mailboxes do not exist for them."""
    return get_object_or_404(Mailbox, pk=pk, user=request.user)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("mailbox_list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("mailbox_new")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = request.user.mailboxes.all()
    return render(request, "accounts/mailbox_list.html", {"mailboxes": mailboxes})


def _provider_context(email: str) -> dict:
    provider = providers.lookup(email) if "@" in (email or "") else None
    return {"provider": provider}


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
    return render(request, "accounts/mailbox_form.html", ctx)


@login_required
def provider_hint(request: HttpRequest) -> HttpResponse:
    """htmx: the provider's rules and pre-filled server fields for an address."""
    email = request.GET.get("email", "")[:320]
    form = MailboxForm(initial=initial_for(email))
    ctx = {"form": form, "is_new": True, **_provider_context(email)}
    return render(request, "accounts/mailbox_form.html#details", ctx)


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


def _support_body(mailbox: Mailbox, test_errors: list) -> str:
    """What support needs (the guide's list), never the password."""
    lines = [
        f"Email address: {mailbox.email}",
        f"Provider: {mailbox.provider_id or 'unknown'}",
        f"Username: {mailbox.login_name()}",
        f"SMTP: {mailbox.smtp_host}:{mailbox.smtp_port} ({mailbox.smtp_security})",
        f"IMAP: {mailbox.imap_host}:{mailbox.imap_port} ({mailbox.imap_security})",
    ]
    for error in test_errors:
        lines.append(f"Error: {error.title} [{error.code}] {error.detail} {error.server_reply}".strip())
    return "\n".join(lines)


def _detail_context(mailbox: Mailbox) -> dict:
    test = mailbox.latest_test()
    steps = list(test.steps.all()) if test else []
    test_errors = list(test.errors.all()) if test else []
    return {
        "mailbox": mailbox,
        "test": test,
        "support_body": _support_body(mailbox, test_errors),
        "support_email": settings.SUPPORT_EMAIL,
        "smtp_steps": [s for s in steps if s.protocol == "smtp"],
        "imap_steps": [s for s in steps if s.protocol == "imap"],
        "test_errors": test_errors,
        "provider": providers.lookup(mailbox.email),
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
