"""Every field a form shows has a label of its own, marked for translation. A field without
one reads as its English attribute name ("Reviewed", "Webhook secret") in every language."""

import importlib
import pkgutil

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation

APPS = ["accounts", "imports", "languages", "mailauth", "monitoring", "review", "support"]


def _project_forms():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)
    seen, todo = [], list(forms.BaseForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS:
            seen.append(cls)
    return seen


def test_every_shown_field_has_its_own_translated_label():
    found = _project_forms()
    assert len(found) > 10  # the walk found the project's forms
    unlabelled = []
    for cls in found:
        fields = cls().fields if issubclass(cls, AuthenticationForm) else cls.base_fields
        for name, field in fields.items():
            if getattr(field.widget, "input_type", "") == "hidden":
                continue
            if field.label is None:
                unlabelled.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not unlabelled, unlabelled


def test_the_labels_added_for_staff_read_in_german():
    from monitoring.forms import AlertSettingsForm
    from review.filters import FailureFilterForm

    with translation.override("de"):
        assert str(FailureFilterForm.base_fields["reviewed"].label) == "Geprüft"
        assert str(AlertSettingsForm.base_fields["webhook_secret"].label) == "Webhook-Geheimnis"
