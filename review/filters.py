"""Filters for the failed-connections list and the grouped view.

Bad values never fail the page: the form reports them and the filter is left
out, so an admin sees what was wrong and still gets a list.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError
from diagnostics.net.errors import CATALOGUE
from diagnostics.net.reasons import REASON_HELP
from languages.words import say_lazy

NO_PROVIDER = "-"  # the filter value for tests whose provider was not recognised
CODE_CHOICES = [("", _("Any error")), *[(code, say_lazy(kind.title)) for code, kind in CATALOGUE.items()]]
REVIEWED_CHOICES = [("", _("Reviewed or not")), ("no", _("Not reviewed")), ("yes", _("Reviewed"))]
FAILING, FIXED = "failing", "fixed"
STATE_CHOICES = [("", _("Failing or fixed")), (FAILING, _("Still failing")), (FIXED, _("Fixed since"))]
# The finer causes the classifier reports (the catalogue's advice table, plus the one
# that has no advice of its own); the list page adds any other reason it finds.
KNOWN_REASONS = sorted({*REASON_HELP, "wrong_credentials"})


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class FailureFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Now"), choices=STATE_CHOICES, required=False)
    code = forms.ChoiceField(label=_("Error"), choices=CODE_CHOICES, required=False)
    # A select of known reasons on the page; any short key is accepted, so a link to a
    # reason the list does not offer still filters.
    reason = forms.CharField(label=_("Reason"), max_length=40, required=False)
    provider = forms.CharField(
        label=_("Provider"), max_length=40, required=False, help_text=_("“-” for none")
    )
    since = forms.DateField(label=_("From"), required=False, widget=_date_input())
    until = forms.DateField(label=_("To"), required=False, widget=_date_input())
    reviewed = forms.ChoiceField(label=_("Reviewed"), choices=REVIEWED_CHOICES, required=False)
    q = forms.CharField(
        label=_("Email or domain"),
        max_length=254,
        required=False,
        help_text=_("Part of an address, or @example.com for a whole domain"),
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
            cleaned.pop("until", None)
        return cleaned

    def valid_data(self) -> dict:
        """The fields that validated; the invalid ones are ignored (and shown as errors)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def day_end(day) -> datetime:
    # time.max rather than the next midnight: 9999-12-31 has no next day.
    return timezone.make_aware(datetime.combine(day, time.max))


def search(q: str) -> Q:
    q = q.strip()
    if q.startswith("@"):
        return Q(mailbox__email__iendswith=q)
    return Q(mailbox__email__icontains=q)


def failed_tests(data: dict):
    """Failed tests matching the cleaned filters, newest first."""
    tests = ConnectionTest.objects.filter(status=ConnectionTest.Status.FAILED)
    error_filter = {k: data[k] for k in ("code", "reason") if k in data}
    if error_filter:
        # A semi-join on the (code, reason) index; a join would repeat tests with two errors.
        tests = tests.filter(pk__in=TestError.objects.filter(**error_filter).values("test_id"))
    if "provider" in data:
        tests = tests.filter(provider_id="" if data["provider"] == NO_PROVIDER else data["provider"])
    if "since" in data:
        tests = tests.filter(created_at__gte=day_start(data["since"]))
    if "until" in data:
        tests = tests.filter(created_at__lte=day_end(data["until"]))
    if data.get("reviewed") == "yes":
        tests = tests.filter(review__isnull=False)
    elif data.get("reviewed") == "no":
        tests = tests.filter(review__isnull=True)
    if data.get("q", "").strip():
        tests = tests.filter(search(data["q"]))
    # The mailbox's state now, whatever the failures matched: fixed means its latest
    # test connected; a mailbox being tested again still counts as failing.
    if data.get("state") == FIXED:
        tests = tests.filter(mailbox__status=Mailbox.Status.CONNECTED)
    elif data.get("state") == FAILING:
        tests = tests.exclude(mailbox__status=Mailbox.Status.CONNECTED)
    return tests.order_by("-created_at", "-pk")


def _days(n: int):
    return lazy(lambda: ngettext("%(count)s day", "%(count)s days", n) % {"count": n}, str)()


class GroupedFilterForm(forms.Form):
    BY_CHOICES = [("both", _("Error and provider")), ("code", _("Error code")), ("provider", _("Provider"))]
    DAY_CHOICES = [(str(n), _days(n)) for n in (7, 14, 30, 90)]

    by = forms.ChoiceField(label=_("Group by"), choices=BY_CHOICES, required=False)
    days = forms.TypedChoiceField(label=_("Period"), choices=DAY_CHOICES, coerce=int, required=False)
    code = forms.ChoiceField(label=_("Error"), choices=CODE_CHOICES, required=False)
    provider = forms.CharField(label=_("Provider"), max_length=40, required=False)

    DEFAULTS = {"by": "both", "days": 14}

    def settings(self) -> dict:
        data = {**self.DEFAULTS, "code": "", "provider": ""}
        self.is_valid()
        data.update({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})
        return data


def period_start(days: int):
    """Midnight at the start of the first day of a period ending today."""
    return day_start(timezone.localdate() - timedelta(days=days - 1))


class NoteForm(forms.Form):
    # A form rather than request.POST: it strips the text and refuses NUL characters,
    # which PostgreSQL cannot store.
    text = forms.CharField(label=_("Note"), max_length=2000)
