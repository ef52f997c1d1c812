"""Support procedures: open a request from a failed test, add screenshots and
messages, answer and change status. Views call these; nothing here renders."""

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from diagnostics.copies import copy_of_test, provider_name
from diagnostics.flows import start_test
from diagnostics.models import ConnectionTest
from languages.choice import for_user

from .imagecheck import CleanImage
from .models import InternalNote, Message, Screenshot, SupportRequest
from .snapshot import draw_settings_png

log = logging.getLogger(__name__)


def _save_image(request: SupportRequest, image: CleanImage, kind: str, name: str, user) -> Screenshot:
    shot = Screenshot(
        request=request,
        kind=kind,
        format=image.format,
        width=image.width,
        height=image.height,
        size=len(image.data),
        original_name=name[:120],
        uploaded_by=user,
    )
    shot.file.save(f"upload.{shot.extension}", ContentFile(image.data), save=False)
    shot.save()
    return shot


def add_screenshots(request: SupportRequest, user, images: list[tuple[CleanImage, str]]) -> list[Screenshot]:
    return [_save_image(request, image, Screenshot.Kind.UPLOAD, name, user) for image, name in images]


def _settings_snapshot(request: SupportRequest) -> Screenshot:
    taken = timezone.localtime(request.created_at).strftime("%Y-%m-%d %H:%M %Z")
    data = draw_settings_png(request.settings, provider_name(request.provider_id), request.errors, taken)
    width, height = Image.open(io.BytesIO(data)).size
    image = CleanImage(data, "PNG", width, height)
    return _save_image(request, image, Screenshot.Kind.SNAPSHOT, "settings-snapshot.png", None)


def open_request(user, test: ConnectionTest, message: str, contact_email: str, images) -> SupportRequest:
    """Create the request with the test's copy, the user's screenshots and our settings picture."""
    with transaction.atomic():
        request = SupportRequest.objects.create(
            user=user,
            mailbox=test.mailbox,
            test=test,
            message=message,
            contact_email=contact_email,
            **copy_of_test(test),
        )
        _settings_snapshot(request)
        add_screenshots(request, user, images)
    return request


def follow_up(request: SupportRequest, user, text: str, images) -> None:
    """The user adds a message and/or screenshots; a request waiting on them is open again
    (and waits on us from now; one already open keeps waiting since it did)."""
    with transaction.atomic():
        if text:
            Message.objects.create(request=request, author=user, from_support=False, text=text)
        add_screenshots(request, user, images)
        if request.status != SupportRequest.Status.OPEN:
            request.status = SupportRequest.Status.OPEN
            request.waiting_since = timezone.now()
        request.save(update_fields=["status", "waiting_since", "updated_at"])


def set_status(request: SupportRequest, status: str) -> None:
    if status != request.status:
        request.waiting_since = timezone.now()  # the other side's turn starts now
    request.status = status
    request.save(update_fields=["status", "waiting_since", "updated_at"])


def assign(request: SupportRequest, agent) -> None:
    """Give the request to an agent (None: back to unassigned)."""
    request.assignee = agent
    request.save(update_fields=["assignee", "updated_at"])


def add_note(request: SupportRequest, author, text: str) -> InternalNote:
    return InternalNote.objects.create(request=request, author=author, text=text)


def rerun(request: SupportRequest) -> ConnectionTest | None:
    """Test the request's mailbox again with its current settings (None: it was deleted)."""
    if request.mailbox is None:
        return None
    return start_test(request.mailbox)


def reply(request: SupportRequest, author, text: str, status: str, link: str) -> bool:
    """Save a support reply, set the status and email the user. False if the email failed."""
    with transaction.atomic():
        Message.objects.create(request=request, author=author, from_support=True, text=text)
        request.waiting_since = timezone.now()  # answered: whoever waits now, waits since now
        set_status(request, status)
    # The framing in the person's language; the agent's own text as they wrote it.
    with translation.override(for_user(request.user)):
        words = {"number": request.pk, "email": request.email}
        body = (
            _("Support answered your request #%(number)s about %(email)s:") % words
            + f"\n\n{text}\n\n"
            + _("Status: %(status)s") % {"status": request.get_status_display()}
            + "\n"
            + _("See the whole conversation and add screenshots here: %(link)s") % {"link": link}
            + "\n"
        )
        subject = _("Re: your support request #%(number)s (%(email)s)") % words
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.contact_email],
        reply_to=[settings.SUPPORT_EMAIL],
    )
    try:
        email.send()
    except Exception:  # the reply is saved either way; the page says the email failed
        log.warning("could not email the reply to support request %s", request.pk, exc_info=True)
        return False
    return True
