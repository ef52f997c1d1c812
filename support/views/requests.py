"""Support pages for users: open a request from a failed test, follow it, add screenshots.
Also the one view that serves screenshots, to their owner and to support staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.roles import SUPPORT, has_role
from diagnostics import copies
from diagnostics.models import ConnectionTest
from monitoring import state as mailbox_states

from .. import flows
from ..forms import FollowUpForm, RequestForm
from ..models import Screenshot, SupportRequest

SCREENSHOT_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; frame-ancestors 'none'; sandbox"


def _get_failed_test_for_user(request: HttpRequest, test_id: int) -> ConnectionTest:
    """The user's own failed test, or 404."""
    return get_object_or_404(
        ConnectionTest.objects.select_related("mailbox"),
        pk=test_id,
        mailbox__user=request.user,
        status=ConnectionTest.Status.FAILED,
    )


def _get_request_for_user(request: HttpRequest, pk: int) -> SupportRequest:
    """The user's own support request, or 404: other users' requests do not exist for them."""
    return get_object_or_404(SupportRequest, pk=pk, user=request.user)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    requests = request.user.support_requests.all()
    return render(request, "support/request_list.html", {"support_requests": requests})


@login_required
def request_new(request: HttpRequest, test_id: int) -> HttpResponse:
    test = _get_failed_test_for_user(request, test_id)
    initial = {"contact_email": request.user.email or test.mailbox.email}
    form = RequestForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        support_request = flows.open_request(
            request.user,
            test,
            form.cleaned_data["message"],
            form.cleaned_data["contact_email"],
            form.cleaned_data["screenshots"],
        )
        messages.success(request, _("Your request was sent to support. Their answer will show here."))
        return redirect(support_request)
    ctx = {"form": form, "test": test, "copy": copies.copy_of_test(test)}
    ctx["provider_name"] = copies.provider_name(ctx["copy"]["provider_id"])
    ctx["mailbox_state"] = mailbox_states.of(test.mailbox)
    return render(request, "support/request_new.html", ctx)


def _detail(request: HttpRequest, support_request: SupportRequest, form: FollowUpForm) -> HttpResponse:
    ctx = {
        "support_request": support_request,
        "form": form,
        "screenshots": support_request.screenshots.all(),
        "thread": support_request.messages.all(),
        "provider_name": copies.provider_name(support_request.provider_id),
        "mailbox_state": mailbox_states.of(support_request.mailbox) if support_request.mailbox_id else None,
    }
    return render(request, "support/request_detail.html", ctx)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request_for_user(request, pk)
    return _detail(request, support_request, FollowUpForm())


@login_required
@require_POST
def request_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = _get_request_for_user(request, pk)
    form = FollowUpForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, support_request, form)
    flows.follow_up(
        support_request, request.user, form.cleaned_data["message"], form.cleaned_data["screenshots"]
    )
    messages.success(request, _("Added to your request."))
    return redirect(support_request)


@login_required
def screenshot(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve one screenshot to the request's owner or to support staff; 404 for anyone else."""
    shot = get_object_or_404(Screenshot.objects.select_related("request"), pk=pk)
    if shot.request.user_id != request.user.pk and not has_role(request.user, SUPPORT):
        raise Http404
    try:
        handle = shot.file.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=shot.content_type)
    response["Content-Disposition"] = f'inline; filename="screenshot-{shot.pk}.{shot.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Set here so the site-wide policy does not replace it: nothing in this response may run.
    response["Content-Security-Policy"] = SCREENSHOT_CSP
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
