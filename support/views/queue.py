"""Support staff pages: the queue, one request with everything attached, and what an agent
does on it: reply (saved replies help), assign, note for colleagues, re-run the test."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.roles import ADMIN, SUPPORT, has_role, holders, role_required
from diagnostics import copies
from diagnostics.models import ConnectionTest
from diagnostics.net.errors import CATALOGUE
from languages.words import say
from live import page as live_page
from monitoring import state as mailbox_states

from .. import flows
from ..forms import AssignForm, NoteForm, QueueFilterForm, ReplyForm, StatusForm
from ..models import SavedReply, SupportRequest

PAGE_SIZE = 50
Status = SupportRequest.Status


def filter_requests(form: QueueFilterForm, user):
    """Requests matching the valid filters; invalid filters are left out. Requests that
    wait on us come longest-waiting first; resolved ones and "any status" newest first."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    requests = SupportRequest.objects.select_related("user", "assignee", "mailbox")
    view = data.get("view", "")
    default = "" if view == form.MINE else Status.OPEN  # mine: all that are not resolved
    status = data.get("status", default) if "status" in form.data else default
    if status:
        requests = requests.filter(status=status)
    if view == form.MINE:
        requests = requests.filter(assignee=user).exclude(status=Status.RESOLVED)
    elif view == form.UNASSIGNED:
        requests = requests.filter(assignee__isnull=True)
    if q := data.get("q", "").strip():
        requests = requests.filter(
            Q(email__icontains=q) | Q(contact_email__icontains=q) | Q(user__username__icontains=q)
        )
    if provider := data.get("provider", "").strip():
        requests = requests.filter(provider_id=provider)
    if code := data.get("code", "").strip():
        requests = requests.filter(error_codes__contains=f",{code},")
    browsing = status == Status.RESOLVED or (status == "" and not view)
    order = ("-created_at", "-pk") if browsing else ("waiting_since", "pk")
    return requests.annotate(shots=Count("screenshots")).order_by(*order)


def _tabs(request: HttpRequest, form: QueueFilterForm) -> list[dict]:
    """The queue's views with their counts, in one query."""
    not_resolved = ~Q(status=Status.RESOLVED)
    counts = SupportRequest.objects.aggregate(
        open=Count("pk", filter=Q(status=Status.OPEN)),
        mine=Count("pk", filter=Q(assignee=request.user) & not_resolved),
        unassigned=Count("pk", filter=Q(status=Status.OPEN, assignee__isnull=True)),
        waiting=Count("pk", filter=Q(status=Status.WAITING)),
        resolved=Count("pk", filter=Q(status=Status.RESOLVED)),
    )
    view, status = form.data.get("view", ""), form.data.get("status")
    current = view or ({None: "open", "": "all"}.get(status, status))
    tabs = [
        ("open", _("Open"), "?status=open", counts["open"]),
        ("mine", _("Mine"), "?view=mine", counts["mine"]),
        ("unassigned", _("Unassigned"), "?view=unassigned", counts["unassigned"]),
        ("waiting", _("Waiting for user"), "?status=waiting", counts["waiting"]),
        ("resolved", _("Resolved"), "?status=resolved", counts["resolved"]),
        ("all", _("All"), "?status=", None),
    ]
    return [
        {"key": k, "label": label, "url": url, "count": n, "current": k == current}
        for k, label, url, n in tabs
    ]


@role_required(SUPPORT)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    page = Paginator(filter_requests(form, request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # Each request's mailbox as it is now, in the words of every other page.
    states = mailbox_states.for_mailboxes(r.mailbox for r in page if r.mailbox is not None)
    for r in page:
        r.mailbox_state = states.get(r.mailbox_id)
    ctx = {
        "form": form,
        "page": page,
        "tabs": _tabs(request, form),
        "codes": sorted(CATALOGUE.items()),
        "query": _query_without_page(request),
    }
    return render(request, "support/queue.html", ctx)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _get_request(pk: int) -> SupportRequest:
    return get_object_or_404(SupportRequest.objects.select_related("user", "assignee", "mailbox"), pk=pk)


def _mailbox_context(request: HttpRequest, support_request: SupportRequest) -> dict:
    """The mailbox as it is now and its latest test, watched live while that test runs."""
    mailbox = support_request.mailbox
    latest = (
        mailbox.tests.prefetch_related("errors").order_by("-created_at", "-pk").first() if mailbox else None
    )
    watching = latest is not None and not latest.is_final
    refresh = reverse("support_queue_mailbox", args=[support_request.pk])
    errors = list(latest.errors.all()) if latest else []
    return {
        "support_request": support_request,
        "mailbox": mailbox,
        "mailbox_state": mailbox_states.of(mailbox, latest, errors) if mailbox else None,
        "latest": latest,
        "is_admin": has_role(request.user, ADMIN),
        "live": live_page.watch([f"test-{latest.pk}"], refresh, "#mailbox-now") if watching else None,
    }


def _queue_detail(request: HttpRequest, support_request: SupportRequest, **forms) -> HttpResponse:
    agents = holders(SUPPORT)
    ctx = {
        **_mailbox_context(request, support_request),
        "screenshots": support_request.screenshots.all(),
        "thread": support_request.messages.select_related("author"),
        "notes": support_request.internal_notes.select_related("author"),
        "saved_replies": SavedReply.objects.all(),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": StatusForm(initial={"status": support_request.status}),
        "assign_form": AssignForm(initial={"assignee": support_request.assignee_id}, agents=agents),
        "provider_name": copies.provider_name(support_request.provider_id),
    }
    return render(request, "support/queue_detail.html", ctx)


@role_required(SUPPORT)
def queue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _queue_detail(request, _get_request(pk))


@live_page.partial
@role_required(SUPPORT)
def queue_mailbox(request: HttpRequest, pk: int) -> HttpResponse:
    """The mailbox part of a request, re-fetched on each pushed change of its running test."""
    ctx = _mailbox_context(request, _get_request(pk))
    response = render(request, "support/queue_detail.html#mailbox-now", ctx)
    return live_page.follow(request, response, ctx["live"])


@role_required(SUPPORT)
@require_POST
def queue_reply(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request(pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _queue_detail(request, support_request, reply_form=form)
    link = request.build_absolute_uri(reverse("support_detail", args=[support_request.pk]))
    sent = flows.reply(
        support_request, request.user, form.cleaned_data["text"], form.cleaned_data["status"], link
    )
    if sent:
        messages.success(request, _("Reply sent to %(email)s.") % {"email": support_request.contact_email})
    else:
        messages.warning(
            request, _("The reply is saved and shown to the user, but the email could not be sent.")
        )
    return redirect("support_queue_detail", pk=support_request.pk)


@role_required(SUPPORT)
@require_POST
def queue_status(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        flows.set_status(support_request, form.cleaned_data["status"])
        messages.success(
            request, _("Status set to %(status)s.") % {"status": support_request.get_status_display()}
        )
    else:
        messages.error(request, _("Choose one of the listed statuses."))
    return redirect("support_queue_detail", pk=support_request.pk)


@role_required(SUPPORT)
@require_POST
def queue_assign(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request(pk)
    # "Assign to me" is one button; the select names anyone on the team.
    data = {"assignee": request.user.pk} if request.POST.get("assignee") == "me" else request.POST
    form = AssignForm(data, agents=holders(SUPPORT))
    if form.is_valid():
        agent = form.cleaned_data["assignee"]
        flows.assign(support_request, agent)
        if agent == request.user:
            said = _("Request #%(number)s is assigned to you.")
        elif agent is None:
            said = _("Request #%(number)s is assigned to nobody.")
        else:
            said = _("Request #%(number)s is assigned to %(agent)s.")
        name = agent.get_username() if agent else ""
        messages.success(request, said % {"number": support_request.pk, "agent": name})
    else:
        messages.error(request, _("Choose one of the support agents listed."))
    return redirect("support_queue_detail", pk=support_request.pk)


@role_required(SUPPORT)
@require_POST
def queue_note(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _queue_detail(request, support_request, note_form=form)
    flows.add_note(support_request, request.user, form.cleaned_data["text"])
    messages.success(request, _("Note added. Only support staff see it."))
    return redirect("support_queue_detail", pk=support_request.pk)


@role_required(SUPPORT)
@require_POST
def queue_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Test the user's mailbox again, as it is saved now; the request page follows it live."""
    support_request = _get_request(pk)
    test = flows.rerun(support_request)
    if test is None:
        messages.error(request, _("The user deleted this mailbox: there is nothing to test."))
    elif test.status == ConnectionTest.Status.FAILED and test.is_final:
        messages.warning(
            request, _("The test could not start: %(why)s") % {"why": say(test.errors.first().detail)}
        )
    else:
        messages.success(
            request,
            _("Test #%(number)s of %(email)s is running.")
            % {"number": test.pk, "email": support_request.email},
        )
    return redirect(reverse("support_queue_detail", args=[support_request.pk]) + "#mailbox-now")
