from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .imagecheck import ScreenshotError, clean_screenshot
from .models import SupportRequest

MAX_TEXT = 5000
ACCEPT = "image/png,image/jpeg,image/webp"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScreenshotsField(forms.FileField):
    """Several screenshots; each is checked by content and comes back re-encoded.

    Cleaned value: a list of (CleanImage, original file name).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _(
                "PNG, JPEG or WebP, at most 10 MB and 40 megapixels each. "
                "A screenshot of the settings you entered helps most."
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        if not uploads:
            if self.required:
                raise forms.ValidationError(_("Attach at least one screenshot."))
            return []
        limit = settings.SUPPORT_SCREENSHOTS_PER_UPLOAD
        if len(uploads) > limit:
            raise forms.ValidationError(
                ngettext(
                    "Attach at most %(limit)s screenshot at a time.",
                    "Attach at most %(limit)s screenshots at a time.",
                    limit,
                )
                % {"limit": limit}
            )
        cleaned, problems = [], []
        for upload in uploads:
            name = str(getattr(upload, "name", "") or "screenshot")[:80]
            try:
                cleaned.append((self._clean_one(upload), name))
            except ScreenshotError as exc:
                problems.append(
                    forms.ValidationError("%(name)s: %(problem)s", params={"name": name, "problem": exc})
                )
        if problems:
            raise forms.ValidationError(problems)
        return cleaned

    @staticmethod
    def _clean_one(upload):
        max_bytes = settings.SUPPORT_SCREENSHOT_MAX_BYTES
        # The size Django measured while receiving: refuse before reading it into memory.
        if upload.size is not None and upload.size > max_bytes:
            raise ScreenshotError(
                _("This file is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)}
            )
        upload.seek(0)
        data = upload.read(max_bytes + 1)
        return clean_screenshot(data, max_bytes=max_bytes, max_pixels=settings.SUPPORT_SCREENSHOT_MAX_PIXELS)


class RequestForm(forms.Form):
    message = forms.CharField(
        label=_("What happened, and what have you tried?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TEXT,
    )
    contact_email = forms.EmailField(
        label=_("Email address for our reply"),
        max_length=254,
        help_text=_("We answer here and on this site. It can differ from the mailbox you are connecting."),
    )
    screenshots = ScreenshotsField(label=_("Screenshots"))


class FollowUpForm(forms.Form):
    message = forms.CharField(
        label=_("Add a message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_TEXT,
        required=False,
    )
    screenshots = ScreenshotsField(label=_("Add screenshots"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("message") and not cleaned.get("screenshots") and not self.errors:
            raise forms.ValidationError(_("Write a message or attach a screenshot."))
        return cleaned


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the user"), widget=forms.Textarea(attrs={"rows": 6}), max_length=MAX_TEXT
    )
    status = forms.ChoiceField(
        label=_("Then set the status to"),
        choices=SupportRequest.Status.choices,
        initial=SupportRequest.Status.WAITING,
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SupportRequest.Status.choices)


class QueueFilterForm(forms.Form):
    """Support queue filters; invalid values are reported and ignored, never a 500."""

    STATUS_CHOICES = [("", _("Any status")), *SupportRequest.Status.choices]
    MINE, UNASSIGNED = "mine", "unassigned"
    VIEW_CHOICES = [("", _("Everyone’s")), (MINE, _("Mine")), (UNASSIGNED, _("Unassigned"))]

    view = forms.ChoiceField(label=_("Assigned to"), choices=VIEW_CHOICES, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    q = forms.CharField(label=_("Search"), max_length=254, required=False)
    provider = forms.CharField(label=_("Provider"), max_length=40, required=False)
    code = forms.CharField(label=_("Error code"), max_length=30, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note (only support staff see it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT,
    )


class AssignForm(forms.Form):
    """Assign to one of the support agents, or to nobody."""

    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=_("Nobody"), label=_("Assigned to")
    )

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents
