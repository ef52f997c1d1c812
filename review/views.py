"""Admin pages over failed connection tests: list, grouped view, one test, actions."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from diagnostics.flows import start_test
from diagnostics.models import ConnectionTest, TestError
from support.flows import provider_name, without_secrets
from support.roles import ADMIN, SUPPORT, has_role, role_required

from . import charts, trends
from .filters import FailureFilterForm, GroupedFilterForm, NoteForm, failed_tests, known_reasons
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
    form = FailureFilterForm(request.GET)
    tests = failed_tests(form.valid_data()).select_related("mailbox__user", "review")
    tests = tests.prefetch_related(
        Prefetch("errors", queryset=TestError.objects.only("test_id", "code", "reason"))
    )
    page = Paginator(tests, settings.REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"form": form, "page": page, "reasons": known_reasons(), "query": _query(request)}
    return render(request, "review/failure_list.html", ctx)


@role_required(ADMIN)
def grouped(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    for key, value in GroupedFilterForm.DEFAULTS.items():
        data.setdefault(key, str(value))  # so the selects show what is applied
    form = GroupedFilterForm(data)
    options = form.settings()
    days, found = trends.series(**options)
    for s in found:
        s.spark = charts.sparkline(s.counts)
        s.query = QueryDict(mutable=True)
        s.query.update({**s.filter_query, "since": days[0].isoformat()})
    ctx = {
        "form": form,
        "options": options,
        "days": days,
        "series": found,
        "chart": charts.line_chart(days, found),
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
    }


@role_required(ADMIN)
def test_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    return render(request, "review/test_detail.html", _detail_context(request, test))


@role_required(ADMIN)
def test_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx polling target after a re-run; polling stops once the test is final."""
    test = _get_test(pk)
    response = render(request, "review/test_detail.html#result", _detail_context(request, test))
    if request.htmx and test.is_final:
        return HttpResponseStopPolling(response.content)
    return response


@role_required(ADMIN)
@require_POST
def test_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    new = start_test(test.mailbox)
    messages.success(request, f"Test #{new.pk} is queued for {test.mailbox.email}.")
    return redirect("review_detail", pk=new.pk)


@role_required(ADMIN)
@require_POST
def test_mark(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    if request.POST.get("reviewed") == "0":
        Review.objects.filter(test=test).delete()
        messages.success(request, "Marked as not reviewed.")
    else:
        Review.objects.get_or_create(test=test, defaults={"reviewed_by": request.user})
        messages.success(request, "Marked as reviewed.")
    return redirect("review_detail", pk=test.pk)


@role_required(ADMIN)
@require_POST
def bulk_mark(request: HttpRequest) -> HttpResponse:
    ids = {int(v) for v in request.POST.getlist("tests")[:BULK_LIMIT] if v.isdigit() and len(v) < 19}
    tests = ConnectionTest.objects.filter(
        pk__in=ids, status=ConnectionTest.Status.FAILED, review__isnull=True
    )
    new = [Review(test_id=pk, reviewed_by=request.user) for pk in tests.values_list("pk", flat=True)]
    Review.objects.bulk_create(new, ignore_conflicts=True)  # another admin may have just marked one
    messages.success(request, f"Marked {len(new)} test{'s' if len(new) != 1 else ''} as reviewed.")
    # Back to the same filtered page; the query is re-encoded, never used as a URL itself.
    query = QueryDict(request.POST.get("query", "")[:2000]).urlencode()
    return redirect(reverse("review_list") + (f"?{query}" if query else ""))


@role_required(ADMIN)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        Note.objects.create(test=test, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note needs between 1 and 2000 characters of plain text.")
    return redirect("review_detail", pk=test.pk)


@role_required(ADMIN)
def test_report_json(request: HttpRequest, pk: int) -> HttpResponse:
    test = _get_test(pk)
    response = JsonResponse(test_report(test), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="connection-test-{test.pk}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
