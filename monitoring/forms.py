from django import forms
from django.utils.translation import gettext_lazy as _

from diagnostics.net.errors import CATALOGUE
from languages.words import say_lazy

from . import state as mailbox_states
from . import webhooks
from .models import AlertPreference, State

BULK_ACTIONS = [("recheck", _("Re-check now")), ("notify", _("Notify owners")), ("pause", _("Pause checks"))]


class FleetFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *State.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The state model's words (monitoring/state.py), as the rows say them.
        self.fields["state"].choices = [("", _("Any state")), *mailbox_states.health_words()]

    provider = forms.CharField(
        label=_("Provider"), max_length=40, required=False, help_text=_("“-” for none")
    )
    code = forms.ChoiceField(
        label=_("Error"),
        choices=[("", _("Any error")), *[(c, say_lazy(k.title)) for c, k in CATALOGUE.items()]],
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), max_length=40, required=False)
    q = forms.CharField(label=_("Email, domain or owner"), max_length=254, required=False)
    # Readiness for Microsoft's Basic SMTP AUTH cut-off (monitoring.readiness).
    microsoft_password = forms.BooleanField(label=_("Microsoft, still on a password"), required=False)

    def valid_data(self) -> dict:
        """The fields that validated; invalid ones are shown and ignored, never a 500."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class AlertSettingsForm(forms.ModelForm):
    webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Used to sign each request (HMAC‑SHA256). Leave empty to keep the current one."),
    )

    class Meta:
        model = AlertPreference
        fields = ["mode", "webhook_url"]
        widgets = {"mode": forms.RadioSelect}
        labels = {
            "mode": _("Email me when a mailbox stops or starts working"),
            "webhook_url": _("Webhook URL"),
        }

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url", "")
        if url:
            problem = webhooks.validate_url(url)
            if problem:
                raise forms.ValidationError(problem)
        return url

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("webhook_url") and not (
            cleaned.get("webhook_secret") or self.instance.webhook_secret_encrypted
        ):
            self.add_error("webhook_secret", _("A webhook needs a secret to sign its requests."))
        return cleaned

    def save(self, commit=True):
        pref = super().save(commit=False)
        if self.cleaned_data.get("webhook_secret"):
            pref.set_webhook_secret(self.cleaned_data["webhook_secret"])
        if not pref.webhook_url:
            pref.set_webhook_secret("")
        if commit:
            pref.save()
        return pref
