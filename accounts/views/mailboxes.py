from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from diagnostics import autodetection as autodetect_service
from diagnostics import deliverability
from diagnostics.flows import apply_fix, choose_sent_folder, start_test
from diagnostics.models import ConnectionTest, TestError
from diagnostics.net import directory, validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.usernames import normalize_app_password
from live import page as live_page

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
    _fail_overdue(mailboxes)
    return render(request, "accounts/mailbox_list.html", {"mailboxes": mailboxes})


def _fail_overdue(mailboxes: list[Mailbox]) -> None:
    """A mailbox still "Testing" whose test is past its deadline shows as failed, as its
    own page does, without waiting for the reaper (which needs a worker). On the
    objects only: nothing is written."""
    testing = {m.pk for m in mailboxes if m.status == Mailbox.Status.TESTING}
    if not testing:
        return
    in_time = set(
        ConnectionTest.objects.filter(mailbox_id__in=testing, status__in=ConnectionTest.UNDER_WAY)
        .filter(Q(deadline_at__isnull=True) | Q(deadline_at__gt=timezone.now()))
        .values_list("mailbox_id", flat=True)
    )
    for mailbox in mailboxes:
        if mailbox.pk in testing and mailbox.pk not in in_time:
            mailbox.status = Mailbox.Status.FAILED


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
    provider = detection.provider if detection else None
    blocked = provider is not None and provider.policy in BLOCKING_POLICIES
    return {"provider": provider, "detection": detection, "blocked": blocked}


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
    ctx.update(form=form, **_autofill_context(form, detection, detected, request.GET))
    ctx["duplicate"] = _already_connected(request.user, email)
    # The page sends its marks only while it shows the fields.
    page_has_fields = "auto_smtp_host" in request.GET
    part = "details" if page_has_fields == ctx["blocked"] else "provider_panel"
    return render(request, f"accounts/mailbox_form.html#{part}", ctx)


@login_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _get_mailbox_for_user(request, pk)
    if mailbox.auth_method == Mailbox.AuthMethod.OAUTH:
        # No password or servers to edit: the provider's sign-in is what can change.
        messages.info(request, "This mailbox signs in with its provider: use Reconnect to sign in again.")
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
        if test is None or test.is_final
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
    if ctx["live"] is None and request.htmx:
        # The result may start (or end) the mailbox's health checks: the panel beside it
        # follows, so that it never says "once the mailbox is connected" next to Connected.
        # Without the request: its context processors already ran for this answer.
        panel = {"mailbox": mailbox, "oob": True, "csrf_token": get_token(request)}
        response.content += render_to_string("monitoring/_health.html", panel).encode()
    return live_page.follow(request, response, ctx["live"])


@login_required
@require_POST
def mailbox_retest(request: HttpRequest, pk: int) -> HttpResponse:
    """Test again; from the result page, with the password typed again there (it is
    saved first, and never shown back)."""
    mailbox = _get_mailbox_for_user(request, pk)
    if "retype_password" in request.POST:
        password = request.POST["retype_password"]
        if not password or len(password) > MAX_PASSWORD:
            messages.error(request, "Type the password, then test again.")
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
        ctx = {**_detail_context(mailbox), "tracking_typed": typed, "tracking_error": exc.detail}
        return render(request, "accounts/mailbox_detail.html", ctx, status=400)
    if host:
        start_test(mailbox)
        messages.success(request, f"Tracking domain set to {host}. Checking its DNS record.")
    else:
        messages.success(request, "Tracking domain removed.")
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
