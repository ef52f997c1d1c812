"""Bulk import pages: upload or paste, map the columns, watch every row's test, import."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from live import page as live_page

from . import checking, columns, csvfile, export, flows, retype
from . import mapping as mapping_page
from . import rows as R
from . import states as row_states
from .models import ImportJob
from .uploads import CappedMemoryUpload


def _job_for(request: HttpRequest, pk: int) -> ImportJob:
    """The user's own import, or 404."""
    return get_object_or_404(ImportJob, pk=pk, user=request.user)


def _limits() -> dict:
    return {
        "max_rows": settings.IMPORT_MAX_ROWS,
        "max_mb": settings.IMPORT_MAX_BYTES / 1e6,
        "max_columns": settings.IMPORT_MAX_COLUMNS,
    }


@sensitive_post_parameters()
@csrf_exempt  # the upload handler must be set before anything reads the body (CSRF checked below)
@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers = [CappedMemoryUpload(request, settings.IMPORT_MAX_BYTES)]
    return _import_new(request)


def _refused_parts(request: HttpRequest) -> list[str]:
    return [name for handler in request.upload_handlers for name in getattr(handler, "refused", ())]


@csrf_protect
def _import_new(request: HttpRequest) -> HttpResponse:
    ctx = {"jobs": request.user.imports.all()[:10], "problem": "", **_limits()}
    if request.method != "POST":
        return render(request, "imports/new.html", ctx)
    try:
        upload = request.FILES.get("file")
        pasted = request.POST.get("pasted", "")
    except RequestDataTooBig:
        ctx["problem"] = gettext(
            "The pasted text is too large to paste; save it as a .csv file and upload that."
        )
        return render(request, "imports/new.html", ctx, status=400)
    if _refused_parts(request):
        ctx["problem"] = gettext("Send one CSV file, in the file field; nothing else was read.")
        return render(request, "imports/new.html", ctx, status=400)
    if upload is not None and getattr(upload, "too_big", False):
        ctx["problem"] = str(csvfile.too_big(upload.size, settings.IMPORT_MAX_BYTES))
        return render(request, "imports/new.html", ctx, status=400)
    data = upload.read() if upload is not None else pasted.encode("utf-8")
    try:
        parsed = checking.read(data)
    except csvfile.FileProblem as problem:
        ctx["problem"] = str(problem)
        ctx["pasted"] = pasted if upload is None else ""  # keep what they typed
        return render(request, "imports/new.html", ctx, status=400)
    job = flows.create_job(request.user, parsed, upload.name if upload is not None else "")
    return redirect("import_detail", pk=job.pk)


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(columns.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mailboxes-template.csv"'
    return response


def _rows_context(job: ImportJob) -> dict:
    rows = row_states.attach(job, list(job.rows.all()))
    counts = job.counts()
    unfinished = job.status == ImportJob.Status.CHECKING and counts["unfinished"] > 0
    connected = counts.get(R.CONNECTED, 0)
    failed = counts.get(R.FAILED, 0)
    return {
        "job": job,
        "rows": rows,
        "counts": counts,
        "connected": connected,
        "failed": failed,
        "sso_rows": [r for r in rows if r.state == R.SSO],
        "unfinished": unfinished,
        "live": live_page.watch([f"import-{job.pk}"], reverse("import_rows", args=[job.pk]), "#import-rows")
        if unfinished
        else None,
    }


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.status == ImportJob.Status.MAPPING:
        return render(request, "imports/mapping.html", mapping_page.context(job))
    return render(request, "imports/job.html", _rows_context(job))


@login_required
@require_POST
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    mapping = flows.mapping_from(request.POST, job.headers)
    try:
        flows.apply_mapping(job, mapping)
    except csvfile.FileProblem as problem:
        ctx = mapping_page.context(job, mapping, str(problem))
        return render(request, "imports/mapping.html", ctx, status=400)
    return redirect("import_detail", pk=job.pk)


@live_page.partial
@login_required
def import_rows(request: HttpRequest, pk: int) -> HttpResponse:
    """The results table, re-fetched on each pushed burst (see live/)."""
    job = _job_for(request, pk)
    ctx = _rows_context(job)
    response = render(request, "imports/job.html#results", ctx)
    return live_page.follow(request, response, ctx["live"])


@login_required
@require_POST
def import_save(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    if job.status == ImportJob.Status.IMPORTED:  # a re-submit: nothing twice
        messages.info(request, gettext("This import was already done."))
        return redirect("mailbox_list")
    if job.status != ImportJob.Status.CHECKING or job.counts()["unfinished"]:
        messages.error(request, gettext("Wait until every row has its result, then import."))
        return redirect("import_detail", pk=job.pk)
    imported, drafts = flows.import_rows(job, drafts=bool(request.POST.get("drafts")))
    text = ngettext("Imported %(count)s mailbox.", "Imported %(count)s mailboxes.", imported) % {
        "count": imported
    }
    if drafts:
        saved = ngettext(
            "%(count)s saved as a draft to fix and test.",
            "%(count)s saved as drafts to fix and test.",
            drafts,
        ) % {"count": drafts}
        text = f"{text} {saved}"
    messages.success(request, text)
    return redirect("mailbox_list")


@login_required
@require_POST
def import_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    count = flows.recheck(job)
    messages.info(
        request,
        ngettext("Checking %(count)s row again.", "Checking %(count)s rows again.", count) % {"count": count}
        if count
        else gettext("Nothing to check again."),
    )
    return redirect("import_detail", pk=job.pk)


@login_required
@require_POST
def import_retype(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    """A failed row, fixed in place: its password retyped, tested again by the worker."""
    job = _job_for(request, pk)
    row = retype.retype(job, row_pk, request.POST.get("password", ""), request.POST.get("username", ""))
    if row is None:
        messages.error(request, gettext("That row cannot be tested again now."))
    else:
        messages.info(request, gettext("Testing row %(number)s again.") % {"number": row.number})
    return redirect(reverse("import_detail", args=[job.pk]) + (f"#row-{row.number}" if row else ""))


@login_required
def import_export(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    rows = row_states.attach(job, list(job.rows.all()))
    response = HttpResponse(export.results_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-results.csv"'
    return response
