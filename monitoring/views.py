"""Health pages: a person's alert settings, pausing a mailbox's checks, the admins' fleet view."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.models import Mailbox
from core.ids import as_ids
from core.roles import ADMIN, role_required

from . import alerts, checks, fleet, readiness
from . import state as mailbox_states
from .forms import BULK_ACTIONS, AlertSettingsForm, FleetFilterForm
from .models import Alert, Health, State

BULK_LIMIT = 500


@sensitive_post_parameters("webhook_secret")
@login_required
def alert_settings(request: HttpRequest) -> HttpResponse:
    pref = alerts.preference(request.user)
    form = AlertSettingsForm(request.POST or None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Alert settings saved."))
        return redirect("alert_settings")
    return render(
        request,
        "monitoring/alert_settings.html",
        {"form": form, "has_secret": bool(pref.webhook_secret_encrypted)},
    )


@login_required
@require_POST
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner turns a mailbox's checks off or back on (another user's mailbox: 404)."""
    mailbox = get_object_or_404(Mailbox, pk=pk, user=request.user)
    health = checks.ensure_health(mailbox)
    checks.set_paused(health, request.POST.get("paused") == "1", by=request.user)
    return redirect(reverse("mailbox_detail", args=[mailbox.pk]) + "#health")


class _Echo:
    def write(self, value):
        return value


@role_required(ADMIN)
def fleet_view(request: HttpRequest) -> HttpResponse:
    form = FleetFilterForm(request.GET)
    data = form.valid_data()
    qs = fleet.rows(data)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(fleet.csv_lines(qs, _Echo()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="mailboxes-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        return response
    page = Paginator(qs, settings.REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    states = mailbox_states.for_mailboxes([h.mailbox for h in page], {h.pk: h for h in page})
    for h in page:
        h.mailbox_state = states[h.pk]
    query = request.GET.copy()
    query.pop("page", None)
    chart = fleet.disconnections_per_day()
    return render(
        request,
        "monitoring/fleet.html",
        {
            "form": form,
            "page": page,
            "counts": fleet.counts(),
            "chart": chart,
            "bars": fleet.bars(chart),
            "axes": fleet.axes(chart),
            "query": query.urlencode(),
            "actions": BULK_ACTIONS,
            "states": State,
            "basic_auth_cutoff": readiness.cutoff_text(),
        },
    )


@role_required(ADMIN)
def fleet_mailbox(request: HttpRequest, pk: int) -> HttpResponse:
    """A fleet row's mailbox, as an admin sees it: its newest test's review page; a
    mailbox no test has run on yet gets a short page that says so."""
    mailbox = get_object_or_404(Mailbox.objects.select_related("user"), pk=pk)
    latest = mailbox.latest_test()
    if latest is not None:
        return redirect("review_detail", pk=latest.pk)
    health = Health.objects.filter(pk=pk).first()
    return render(request, "monitoring/fleet_mailbox.html", {"mailbox": mailbox, "health": health})


@role_required(ADMIN)
@require_POST
def fleet_bulk(request: HttpRequest) -> HttpResponse:
    ids = as_ids(request.POST.getlist("ids"), BULK_LIMIT)
    action = request.POST.get("action")
    rows = Health.objects.filter(pk__in=ids).select_related("mailbox")
    if not ids or action not in dict(BULK_ACTIONS):
        messages.error(request, _("Choose mailboxes and an action."))
    elif action == "recheck":
        # The scheduler (every minute) claims and queues them; a check under way is not doubled.
        n = rows.update(next_check_at=timezone.now())
        messages.success(
            request,
            ngettext(
                "%(count)s mailbox will be checked within a minute.",
                "%(count)s mailboxes will be checked within a minute.",
                n,
            )
            % {"count": n},
        )
    elif action == "pause":
        n = 0
        for health in rows:
            checks.set_paused(health, True, by=request.user)
            n += 1
        messages.success(
            request,
            ngettext("Checks paused for %(count)s mailbox.", "Checks paused for %(count)s mailboxes.", n)
            % {"count": n},
        )
    else:
        n = 0
        for health in rows.filter(state=State.DISCONNECTED):
            last = health.mailbox.checks.filter(ok=False).order_by("-created_at").first()
            alert = Alert.objects.create(
                user_id=health.mailbox.user_id,
                mailbox=health.mailbox,
                health_check=last,
                kind=Alert.Kind.DOWN,
            )
            alerts.queue_send(alert.pk)
            n += 1
        messages.success(
            request,
            ngettext(
                "%(count)s owner of disconnected mailboxes will be emailed (within their cap).",
                "%(count)s owners of disconnected mailboxes will be emailed (within their cap).",
                n,
            )
            % {"count": n},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/health/fleet/") else "health_fleet")
