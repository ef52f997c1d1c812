"""Admin pages over failed connection tests: list, grouped view, one test, actions."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.ids import as_ids
from core.roles import ADMIN, SUPPORT, has_role, role_required
from diagnostics.copies import provider_name, without_secrets
from diagnostics.flows import start_test
from diagnostics.models import ConnectionTest, TestError
from live import page as live_page
from monitoring import state as mailbox_states

from . import by_mailbox, charts, trends
from .filters import FailureFilterForm, GroupedFilterForm, NoteForm, failed_tests
from .models import Note, Review
from .report import test_report

BULK_LIMIT = 500


def _query(request: HttpRequest, drop=("page",)) -> str:
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


@role_required(ADMIN)
def failure_list(request: HttpRequest) -> HttpResponse:
    """One row per mailbox with failures matching the filters; its history is one click away."""
    form = FailureFilterForm(request.GET)
    data = form.valid_data()
    facets = by_mailbox.facets(data)
    # The state filter's counts already add up to the rows: no second pass to count them.
    paginator = by_mailbox.CountedPaginator(
        by_mailbox.grouped(data), settings.REVIEW_PAGE_SIZE, facets["state"].total(data.get("state", ""))
    )
    page = paginator.get_page(request.GET.get("page"))
    rows = by_mailbox.rows(list(page), data)
    states = mailbox_states.for_mailboxes(row.mailbox for row in rows)  # the words of every page
    for row in rows:
        row.mailbox_state = states[row.mailbox.pk]
    ctx = {
        "form": form,
        "page": page,
        "rows": rows,
        "facets": facets,
        "query": _query(request),
    }
    return render(request, "review/failure_list.html", ctx)


SORT_NAMES = {
    "group": gettext_lazy("Group"),
    "total": gettext_lazy("Total"),
    "recent": gettext_lazy("Last 3 days"),
    "before": gettext_lazy("3 days before"),
    "rising": gettext_lazy("Rising since"),
}
TREND_ROWS = 100  # groups listed; "no provider" split by domain can make thousands


def _sort_links(request: HttpRequest, key: str, descending: bool) -> dict:
    """Per column: the URL that sorts by it (the same column flips the order) and its aria-sort."""
    links = {}
    for column in trends.SORTS:
        query = request.GET.copy()
        query["sort"] = column
        first = "asc" if column == "group" else "desc"  # names A to Z, numbers largest first
        query["dir"] = ("asc" if descending else "desc") if column == key else first
        state = ("descending" if descending else "ascending") if column == key else "none"
        links[column] = {"url": f"?{query.urlencode()}", "aria": state, "name": SORT_NAMES[column]}
    return links


@role_required(ADMIN)
def grouped(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    for key, value in GroupedFilterForm.DEFAULTS.items():
        data.setdefault(key, str(value))  # so the selects show what is applied
    form = GroupedFilterForm(data)
    options = form.settings()
    days, found = trends.series(**options)
    key = request.GET.get("sort", "total")
    key = key if key in trends.SORTS else "total"
    descending = request.GET.get("dir", "desc") != "asc"
    found = trends.sort_series(found, key, descending)
    shown = found[:TREND_ROWS]
    for s in shown:
        s.spark = charts.sparkline(s.counts)
        s.query = QueryDict(mutable=True)
        s.query.update({**s.filter_query, "since": days[0].isoformat()})
    stacked = charts.stacks(found, options["by"])
    ctx = {
        "form": form,
        "options": options,
        "days": days,
        "series": shown,
        "more": len(found) - len(shown),
        "sort": _sort_links(request, key, descending),
        "charts": [charts.stacked_bars(days, stacked, size) for size in (charts.WIDE, charts.NARROW)],
        "stacked_by": _("provider") if options["by"] == "provider" else _("error code"),
    }
    return render(request, "review/grouped.html", ctx)


def _get_test(pk: int) -> ConnectionTest:
    return get_object_or_404(ConnectionTest.objects.select_related("mailbox__user"), pk=pk)


def _detail_context(request: HttpRequest, test: ConnectionTest) -> dict:
    steps = list(test.steps.all())
    attempts = (
        test.mailbox.tests.exclude(pk=test.pk)
        .prefetch_related(Prefetch("errors", queryset=TestError.objects.only("test_id", "code")))
        .order_by("-created_at", "-pk")[:20]
    )
    return {
        "test": test,
        "review": Review.objects.filter(test=test).select_related("reviewed_by").first(),
        "settings_copy": without_secrets(test.settings or {}),
        "provider_name": provider_name(test.provider_id),
        "smtp_steps": [s for s in steps if s.protocol == "smtp"],
        "imap_steps": [s for s in steps if s.protocol == "imap"],
        "test_errors": list(test.errors.all()),
        "attempts": attempts,
        "notes": test.review_notes.select_related("author"),
        "support_requests": test.support_requests.all() if has_role(request.user, SUPPORT) else None,
        # A re-run is watched live until it is final.
        "live": None
        if test.is_final
        else live_page.watch([f"test-{test.pk}"], reverse("review_status", args=[test.pk]), "#test-result"),
    }


@role_required(ADMIN)
def test_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    return render(request, "review/test_detail.html", _detail_context(request, test))


@live_page.partial
@role_required(ADMIN)
def test_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The result and steps, re-fetched on each pushed change while a re-run runs (see live/)."""
    test = _get_test(pk)
    ctx = _detail_context(request, test)
    response = render(request, "review/test_detail.html#result", ctx)
    return live_page.follow(request, response, ctx["live"])


@role_required(ADMIN)
@require_POST
def test_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    new = start_test(test.mailbox)
    messages.success(
        request,
        _("Test #%(number)s is queued for %(email)s.") % {"number": new.pk, "email": test.mailbox.email},
    )
    return redirect("review_detail", pk=new.pk)


@role_required(ADMIN)
@require_POST
def test_mark(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    if request.POST.get("reviewed") == "0":
        Review.objects.filter(test=test).delete()
        messages.success(request, _("Marked as not reviewed."))
    else:
        Review.objects.get_or_create(test=test, defaults={"reviewed_by": request.user})
        messages.success(request, _("Marked as reviewed."))
    return redirect("review_detail", pk=test.pk)


@role_required(ADMIN)
@require_POST
def bulk_mark(request: HttpRequest) -> HttpResponse:
    """Mark the selected mailboxes' failures as reviewed: those the filters on the page
    matched (the list's rows are what the admin looked at), not every failure they had."""
    ids = set(as_ids(request.POST.getlist("mailboxes"), BULK_LIMIT))
    # The query is re-encoded, never used as a URL itself.
    query = QueryDict(request.POST.get("query", "")[:2000])
    data = FailureFilterForm(query).valid_data()
    tests = failed_tests(data).filter(mailbox_id__in=ids, review__isnull=True)
    new = [Review(test_id=pk, reviewed_by=request.user) for pk in tests.values_list("pk", flat=True)]
    Review.objects.bulk_create(new, ignore_conflicts=True)  # another admin may have just marked one
    said = ngettext(
        "Marked %(count)s failed test as reviewed.", "Marked %(count)s failed tests as reviewed.", len(new)
    )
    messages.success(request, said % {"count": len(new)})
    back = query.urlencode()
    return redirect(reverse("review_list") + (f"?{back}" if back else ""))


@role_required(ADMIN)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        Note.objects.create(test=test, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Note added."))
    else:
        messages.error(request, _("A note needs between 1 and 2000 characters of plain text."))
    return redirect("review_detail", pk=test.pk)


@role_required(ADMIN)
def test_report_json(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    response = JsonResponse(test_report(test), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="connection-test-{test.pk}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
