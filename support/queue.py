"""Support staff pages: the queue, one request with everything attached, reply, status."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from diagnostics.net.errors import CATALOGUE

from . import flows
from .forms import QueueFilterForm, ReplyForm, StatusForm
from .models import SupportRequest
from .roles import SUPPORT, role_required

PAGE_SIZE = 50


def filter_requests(form: QueueFilterForm):
    """Requests matching the valid filters, newest first; invalid filters are left out."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    requests = SupportRequest.objects.select_related("user")
    status = (
        data.get("status", SupportRequest.Status.OPEN)
        if "status" in form.data
        else SupportRequest.Status.OPEN
    )
    if status:
        requests = requests.filter(status=status)
    if q := data.get("q", "").strip():
        requests = requests.filter(
            Q(email__icontains=q) | Q(contact_email__icontains=q) | Q(user__username__icontains=q)
        )
    if provider := data.get("provider", "").strip():
        requests = requests.filter(provider_id=provider)
    if code := data.get("code", "").strip():
        requests = requests.filter(error_codes__contains=f",{code},")
    return requests.annotate(shots=Count("screenshots")).order_by("-created_at", "-pk")


@role_required(SUPPORT)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    page = Paginator(filter_requests(form), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(SupportRequest.objects.values_list("status").annotate(n=Count("pk")).order_by())
    ctx = {
        "form": form,
        "page": page,
        "counts": [(value, label, counts.get(value, 0)) for value, label in SupportRequest.Status.choices],
        "codes": sorted(CATALOGUE),
        "query": _query_without_page(request),
    }
    return render(request, "support/queue.html", ctx)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _queue_detail(request: HttpRequest, support_request: SupportRequest, reply_form=None) -> HttpResponse:
    ctx = {
        "support_request": support_request,
        "screenshots": support_request.screenshots.all(),
        "thread": support_request.messages.select_related("author"),
        "reply_form": reply_form or ReplyForm(),
        "status_form": StatusForm(initial={"status": support_request.status}),
        "provider_name": flows.provider_name(support_request.provider_id),
    }
    return render(request, "support/queue_detail.html", ctx)


@role_required(SUPPORT)
def queue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = get_object_or_404(SupportRequest.objects.select_related("user"), pk=pk)
    return _queue_detail(request, support_request)


@role_required(SUPPORT)
@require_POST
def queue_reply(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = get_object_or_404(SupportRequest, pk=pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _queue_detail(request, support_request, reply_form=form)
    link = request.build_absolute_uri(reverse("support_detail", args=[support_request.pk]))
    sent = flows.reply(
        support_request, request.user, form.cleaned_data["text"], form.cleaned_data["status"], link
    )
    if sent:
        messages.success(request, f"Reply sent to {support_request.contact_email}.")
    else:
        messages.warning(
            request, "The reply is saved and shown to the user, but the email could not be sent."
        )
    return redirect("support_queue_detail", pk=support_request.pk)


@role_required(SUPPORT)
@require_POST
def queue_status(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = get_object_or_404(SupportRequest, pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        flows.set_status(support_request, form.cleaned_data["status"])
        messages.success(request, f"Status set to {support_request.get_status_display()}.")
    else:
        messages.error(request, "Choose one of the listed statuses.")
    return redirect("support_queue_detail", pk=support_request.pk)
