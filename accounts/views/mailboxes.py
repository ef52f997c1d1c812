from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from diagnostics import autodetection as autodetect_service
from diagnostics import deliverability
from diagnostics.flows import apply_fix, choose_sent_folder, create_sent_folder, start_test
from diagnostics.models import TestError
from diagnostics.net import directory, validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.usernames import normalize_app_password
from languages.words import say
from live import page as live_page
from mailauth import paths
from monitoring import state as mailbox_states

from ..autofill import (
    AUTOFILLED,
    BLOCKING_POLICIES,
    autofill_marks,
    confident,
    initial_for,
    keep_user_edits,
    page_data,
    servers_line,
)
from ..forms import MAX_PASSWORD, MailboxForm
from ..models import Mailbox
from ..results import summarize


def _get_mailbox_for_user(request: HttpRequest, pk: int) -> Mailbox:
    """The user's own mailbox, or 404: other users' mailboxes do not exist for them."""
    return get_object_or_404(Mailbox, pk=pk, user=request.user)


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = list(request.user.mailboxes.all())
    # Each row's state, as every other page words it (a test past its deadline has failed).
    states = mailbox_states.for_mailboxes(mailboxes)
    for mailbox in mailboxes:
        mailbox.state = states[mailbox.pk]
    return render(request, "accounts/mailbox_list.html", {"mailboxes": mailboxes})


def _address(raw: str) -> str:
    """The typed address, validated once for the whole request: the panel, the fields
    filled in and the duplicate check all use this ("" while it is not an address)."""
    try:
        return validate.email(raw) if "@" in raw else ""
    except ProbeError:
        return ""


def _provider_context(email: str, start_for=None) -> dict:
    """The provider panel for a validated address (or ""): rules and detected settings,
    never waiting on the network (start_for=user queues the cascade for a domain nobody
    has looked up yet, within that user's budget)."""
    detection = None
    if email:
        budget = str(start_for.pk) if start_for is not None else ""
        detection = autodetect_service.hint(email, start=start_for is not None, budget=budget)
    sso_path = paths.apply(detection)  # Gmail without an OAuth client: the app-password path
    provider = detection.provider if detection else None
    blocked = provider is not None and provider.policy in BLOCKING_POLICIES
    return {"provider": provider, "detection": detection, "blocked": blocked, "sso_path": sso_path}


def _label_password(form: MailboxForm, ctx: dict) -> None:
    if ctx.get("sso_path") == paths.APP_PASSWORD:
        form.fields["password"].label = _("App password")
        form.fields["password"].help_text = _(
            "The 16-letter app password Google showed you, not your Google password."
        )


# Seconds past AUTOCONFIG_DEADLINE before the form stops waiting for the worker.
HINT_GIVE_UP_MARGIN = 8


def _stream_url() -> str:
    try:
        return reverse("live_stream")
    except NoReverseMatch:  # no push app: the page checks once more at its deadline
        return ""


def _autofill_context(form: MailboxForm, detection, detected: dict, submitted) -> dict:
    """The hidden marks of what the page filled in, and the data island for connect-form.js."""
    shown = {name: form[name].value() for name in AUTOFILLED}
    # The worker's answer normally comes within the cascade's deadline; past it (plus
    # time for the queue) the page stops waiting and says it could not confirm.
    give_up = settings.AUTOCONFIG_DEADLINE + HINT_GIVE_UP_MARGIN
    # The server fields fold away behind "Edit settings" when detection is sure; they show
    # when it found nothing, when the person must correct one, and when editing.
    fields_with_errors = any(form[name].errors for name in AUTOFILLED) or form["allow_unencrypted"].errors
    settled = detection is not None and not detection.pending
    return {
        "autofilled": autofill_marks(detected, submitted, shown),
        "autofill": page_data(detection, detected, _stream_url(), give_up),
        "found": confident(detection),
        "servers_line": servers_line(detected),
        "settings_open": bool(fields_with_errors) or (settled and not confident(detection)),
    }


def _already_connected(user, email: str) -> Mailbox | None:
    return Mailbox.already_connected(user, email) if email else None


@sensitive_post_parameters("password")
@login_required
def mailbox_new(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    email = _address(source.get("email", "")[:320])
    ctx = {"is_new": True, **_provider_context(email)}
    detected = initial_for(email, ctx["detection"])
    if request.method == "POST":
        # What the page filled in and the person left alone is replaced by what
        # detection has found by now: the detected settings are what gets tested.
        data = request.POST.copy()
        for name, value in keep_user_edits(detected, request.POST).items():
            if name in AUTOFILLED:
                data[name] = str(value)
        form = MailboxForm(data, owner=request.user)
        if form.is_valid():
            mailbox = form.save(commit=False)
            mailbox.user = request.user
            try:
                with transaction.atomic():
                    mailbox.save()
            except IntegrityError:  # the same address, connected from another tab meanwhile
                form.duplicate = Mailbox.already_connected(request.user, mailbox.email)
            else:
                start_test(mailbox)
                return redirect("mailbox_detail", pk=mailbox.pk)
        ctx["duplicate"] = form.duplicate
    else:
        form = MailboxForm(initial=detected)
        ctx["duplicate"] = _already_connected(request.user, email)
    _label_password(form, ctx)
    ctx.update(form=form, **_autofill_context(form, ctx["detection"], detected, request.POST))
    return render(request, "accounts/mailbox_form.html", ctx)


@login_required
def provider_hint(request: HttpRequest) -> HttpResponse:
    """For connect-form.js: the provider panel for an address, with the detected values
    as a data island. The script swaps the panel's content and fills only the fields the
    person has not touched; the inputs themselves are never sent again, except that the
    whole block is when the page must gain or lose them (a provider that needs SSO or
    cannot be connected, or the next address after one). Known domains answer at once;
    for others the data names the push topic that announces the worker's answer, and
    `final=1` (sent at the page's deadline) turns a lookup still running into "could
    not confirm"."""
    email = _address(request.GET.get("email", "")[:320])
    ctx = {"is_new": True, **_provider_context(email, start_for=request.user)}
    detection = ctx["detection"]
    if detection is not None and detection.pending and request.GET.get("final"):
        detection.pending = False
        ctx["gave_up"] = True
    detected = initial_for(email, detection)
    form = MailboxForm(initial=keep_user_edits(detected, request.GET))
    _label_password(form, ctx)
    ctx.update(form=form, **_autofill_context(form, detection, detected, request.GET))
    ctx["duplicate"] = _already_connected(request.user, email)
    # The page sends its marks only while it shows the fields.
    page_has_fields = "auto_smtp_host" in request.GET
    part = "details" if page_has_fields == ctx["blocked"] else "provider_panel"
    return render(request, f"accounts/mailbox_form.html#{part}", ctx)


@sensitive_post_parameters("password")
@login_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    if mailbox.auth_method == Mailbox.AuthMethod.OAUTH:
        # No password or servers to edit: the provider's sign-in is what can change.
        messages.info(request, _("This mailbox signs in with its provider: use Reconnect to sign in again."))
        return redirect("mailbox_detail", pk=mailbox.pk)
    form = MailboxForm(request.POST or None, instance=mailbox, owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        start_test(mailbox)
        return redirect("mailbox_detail", pk=mailbox.pk)
    ctx = {
        "form": form,
        "mailbox": mailbox,
        "is_new": False,
        "settings_open": True,
        "duplicate": form.duplicate,
        **_provider_context(mailbox.email),
    }
    return render(request, "accounts/mailbox_form.html", ctx)


def _detail_context(mailbox: Mailbox) -> dict:
    test = mailbox.latest_test()
    steps = list(test.steps.all()) if test else []
    test_errors = list(test.errors.all()) if test else []
    limits = {"timeout": settings.MAIL_PROBE_TIMEOUT, "deadline": settings.MAIL_PROBE_DEADLINE}
    result = summarize(mailbox, test, steps, test_errors, **limits)
    return {
        "mailbox": mailbox,
        "test": test,
        "result": result,
        "mailbox_state": mailbox_states.of(mailbox, test, test_errors),
        "probe_deadline": round(settings.MAIL_PROBE_DEADLINE),
        "smtp_steps": [s for s in steps if s.protocol == "smtp"],
        "imap_steps": [s for s in steps if s.protocol == "imap"],
        "test_errors": test_errors,
        # The capability panel (what the last verification found), read only when the page shows it.
        **(deliverability.panel(mailbox, test, steps) if result.shows_capabilities else {}),
        # The provider may have been found by MX at connect time: prefer what was saved.
        "provider": directory.by_id(mailbox.provider_id) or directory.lookup(mailbox.email),
        # Pushed changes while the test runs (another tab may also start a newer one).
        "live": None
        if test is None or test.settled
        else live_page.watch(
            [f"test-{test.pk}", f"mailbox-{mailbox.pk}"],
            reverse("mailbox_status", args=[mailbox.pk]),
            "#test-status",
        ),
    }


@login_required
def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    return render(request, "accounts/mailbox_detail.html", _detail_context(mailbox))


@live_page.partial
@login_required
def mailbox_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The test's status and steps, re-fetched on each pushed change (see live/)."""
    mailbox = _get_mailbox_for_user(request, pk)
    ctx = _detail_context(mailbox)
    response = render(request, "accounts/mailbox_detail.html#test_status", ctx)
    if request.htmx and (ctx["test"] is None or ctx["test"].is_final):
        # The result may start (or end) the mailbox's health checks: the panel beside it
        # follows, so that it never says "once the mailbox is connected" next to Connected
        # (from the verdict on: the delivery check after it may keep the page listening).
        # Without the request: its context processors already ran for this answer.
        panel = {"mailbox": mailbox, "oob": True, "csrf_token": get_token(request)}
        panel["mailbox_state"] = ctx["mailbox_state"]
        response.content += render_to_string("monitoring/_health.html", panel).encode()
        # And the banner, which must not go on saying "disconnected" beside Connected.
        banner = {"health_disconnected": mailbox_states.banner_states(request.user), "oob": True}
        response.content += render_to_string("monitoring/_banner.html", banner).encode()
    return live_page.follow(request, response, ctx["live"])


@sensitive_post_parameters("retype_password")
@login_required
@require_POST
def mailbox_retest(request: HttpRequest, pk: int) -> HttpResponse:
    """Test again; from the result page, with the password typed again there (it is
    saved first, and never shown back)."""
    mailbox = _get_mailbox_for_user(request, pk)
    if "retype_password" in request.POST:
        password = request.POST["retype_password"]
        if not password or len(password) > MAX_PASSWORD:
            messages.error(request, _("Type the password, then test again."))
            return redirect("mailbox_detail", pk=mailbox.pk)
        mailbox.set_password(normalize_app_password(password, mailbox.provider_id))
        mailbox.save(update_fields=["password_encrypted", "updated_at"])
    # The round trip is opt-in per test: the capability panel's checkbox sends round_trip=1.
    start_test(mailbox, round_trip=request.POST.get("round_trip") == "1")
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_tracking(request: HttpRequest, pk: int) -> HttpResponse:
    """Set (or clear) the open/click tracking domain, then test again: the test checks its CNAME."""
    mailbox = _get_mailbox_for_user(request, pk)
    typed = request.POST.get("tracking_domain", "")[:300]
    try:
        host = deliverability.set_tracking_domain(mailbox, typed)
    except ProbeError as exc:
        ctx = {**_detail_context(mailbox), "tracking_typed": typed, "tracking_error": say(exc.detail)}
        return render(request, "accounts/mailbox_detail.html", ctx, status=400)
    if host:
        start_test(mailbox)
        messages.success(
            request, _("Tracking domain set to %(host)s. Checking its DNS record.") % {"host": host}
        )
    else:
        messages.success(request, _("Tracking domain removed."))
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_apply_fix(request: HttpRequest, pk: int, error_pk: int) -> HttpResponse:
    """One click: apply the fix a failed test worked out, and test again."""
    mailbox = _get_mailbox_for_user(request, pk)
    error = get_object_or_404(TestError, pk=error_pk, test__mailbox=mailbox)
    if apply_fix(mailbox, error) is None:
        messages.error(request, _("That suggestion cannot be applied; edit the settings instead."))
    else:
        # Two sentences, each in the active language: the core's fix message, then ours.
        fixed = say((error.suggestion or {}).get("message", "")) or _("Fix applied.")
        again = _("Testing again.")
        messages.success(request, f"{fixed} {again}")
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_choose_folder(request: HttpRequest, pk: int) -> HttpResponse:
    """Use another listed folder as the Sent folder, remember it, and test again."""
    mailbox = _get_mailbox_for_user(request, pk)
    folder = request.POST.get("folder", "")[:500]
    if choose_sent_folder(mailbox, folder) is None:
        messages.error(request, _("Pick one of the folders your server listed."))
    else:
        messages.success(
            request, _("Using “%(folder)s” as the Sent folder. Testing again.") % {"folder": folder}
        )
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_create_folder(request: HttpRequest, pk: int) -> HttpResponse:
    """Test again, creating a Sent folder on the server (the worker does it, never this view)."""
    mailbox = _get_mailbox_for_user(request, pk)
    if create_sent_folder(mailbox) is None:
        messages.error(request, gettext("This mailbox already has a Sent folder."))
    else:
        messages.success(request, gettext("Creating a Sent folder and testing again."))
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
def mailbox_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    if request.method == "POST":
        mailbox.delete()
        messages.success(request, _("%(email)s was removed.") % {"email": mailbox.email})
        return redirect("mailbox_list")
    return render(request, "accounts/mailbox_confirm_delete.html", {"mailbox": mailbox})
