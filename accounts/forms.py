from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from diagnostics import autodetection as autodetect_service
from diagnostics.net import validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.runner import policy_errors
from diagnostics.net.usernames import normalize_app_password
from languages.words import say
from mailauth import paths

from .autofill import AUTOFILLED
from .models import Mailbox

MAX_PASSWORD = 1024
SECURE_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS")]
ALL_CHOICES = SECURE_CHOICES + [("none", _("None (unencrypted)"))]


class ThrottledLoginForm(AuthenticationForm):
    """Django's sign-in, refusing further tries after repeated failures."""

    def clean(self):
        from .throttle import client_ip, login_blocked, login_failed, login_succeeded

        username = (self.data.get("username") or "")[:150]
        ip = client_ip(self.request) if self.request else "unknown"
        minutes = login_blocked(username, ip)
        if minutes:
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-ins. For your account’s safety, try again in %(minutes)s minute.",
                    "Too many failed sign-ins. For your account’s safety, try again in %(minutes)s minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(username, ip)
            raise
        login_succeeded(username, ip)
        return cleaned


def password_hint_attrs() -> dict:
    """Attributes for static/js/password-hints.js, which shows the rules as the person
    types; AUTH_PASSWORD_VALIDATORS still decide on submit."""
    minimum = 8
    for validator in settings.AUTH_PASSWORD_VALIDATORS:
        if validator["NAME"].endswith("MinimumLengthValidator"):
            minimum = validator.get("OPTIONS", {}).get("min_length", minimum)
    return {"data-password-hints": "", "data-min-length": minimum, "aria-describedby": "password-hints"}


class SignupForm(UserCreationForm):
    """Sign up with an email address: it is the login (stored as the username, in lower
    case) and where a password reset goes."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,  # the username column's size
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("email",)
        field_classes = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = ""
        self.fields["password1"].widget.attrs.update(password_hint_attrs())
        self.fields["password2"].label = _("Type the password again")
        self.fields["password2"].help_text = ""

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        model = self._meta.model
        if (
            model.objects.filter(username__iexact=email).exists()
            or model.objects.filter(email__iexact=email).exists()
        ):
            raise forms.ValidationError(
                _(
                    "An account with this address already exists. Log in, or reset your password "
                    "from the login page."
                ),
                code="duplicate",
            )
        # Before the password validators run: they compare the password with these.
        self.instance.username = email
        return email

    def save(self, commit=True):
        user = super().save(commit=False)
        user.username = user.email = self.cleaned_data["email"]
        if commit:
            user.save()
        return user


def _checked(check, value):
    try:
        return check(value)
    except ProbeError as exc:
        raise forms.ValidationError(say(exc.detail)) from None


class MailboxForm(forms.ModelForm):
    """The connection form. The password is never rendered back into the page.

    `owner`: the user connecting; an address they already connected is refused, with the
    existing mailbox in `duplicate` so that the page can offer it instead."""

    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        max_length=MAX_PASSWORD,
        strip=False,
        required=False,
        help_text=_("Your mailbox password, or an app password if your provider requires one."),
    )
    allow_unencrypted = forms.BooleanField(
        required=False,
        label=_("Allow unencrypted connections (advanced, not recommended)"),
        help_text=_("Only for servers on a trusted network that offer no encryption at all."),
    )
    # The empty form's defaults match their ports: 587 upgrades with STARTTLS, 993 is
    # implicit TLS (a select with no initial would show its first option, SSL/TLS).
    smtp_security = forms.ChoiceField(choices=ALL_CHOICES, label=_("SMTP encryption"), initial="starttls")
    imap_security = forms.ChoiceField(choices=ALL_CHOICES, label=_("IMAP encryption"), initial="ssl")

    class Meta:
        model = Mailbox
        fields = ["email", *AUTOFILLED]
        labels = {"username": _("Username")}  # the model's field has no verbose name to translate
        help_texts = {
            "username": _("Usually your email address (empty means the same)."),
            "smtp_username": _("Only if sending needs a different username than receiving."),
            "imap_username": _("Only if receiving needs a different username than sending."),
        }

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.duplicate = None
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        for name in AUTOFILLED:
            self.fields[name].widget.attrs["data-autofill"] = ""
        self.fields["username"].required = False
        for name in ("smtp_port", "imap_port"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 65535})
        if self.instance.pk is None:
            self.fields["password"].required = True
        else:
            self.fields["password"].help_text = _("Leave empty to keep the saved password.")
        self.provider = None

    def clean_email(self):
        email = _checked(validate.email, self.cleaned_data["email"])
        # The directory, the cached cascade, then the MX record alone with a short
        # timeout: a Workspace or Microsoft 365 custom domain is refused like gmail.com.
        # Gmail without an OAuth client here takes an app password (mailauth.paths).
        self.provider = paths.connectable(autodetect_service.quick_provider(email))
        blocked = policy_errors(self.provider)
        if blocked:
            raise forms.ValidationError(say(blocked[0].detail))
        if self.owner is not None:
            self.duplicate = Mailbox.already_connected(self.owner, email, but=self.instance.pk)
            if self.duplicate is not None:
                raise forms.ValidationError(_("You already connected this address."), code="duplicate")
        return email

    def clean_username(self):
        return _checked(validate.username, self.cleaned_data.get("username", ""))

    def clean_smtp_username(self):
        return _checked(validate.username, self.cleaned_data.get("smtp_username", ""))

    def clean_imap_username(self):
        return _checked(validate.username, self.cleaned_data.get("imap_username", ""))

    def clean_smtp_host(self):
        return _checked(validate.host, self.cleaned_data["smtp_host"])

    def clean_imap_host(self):
        return _checked(validate.host, self.cleaned_data["imap_host"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("allow_unencrypted"):
            for name in ("smtp_security", "imap_security"):
                if cleaned.get(name) == "none":
                    self.add_error(
                        name,
                        _(
                            "Unencrypted connections send your password in the clear. Choose "
                            "SSL/TLS or STARTTLS, or tick the advanced option below."
                        ),
                    )
        return cleaned

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("password"):
            provider_id = self.provider.id if self.provider is not None else mailbox.provider_id
            mailbox.set_password(normalize_app_password(self.cleaned_data["password"], provider_id))
        if self.provider is not None:
            mailbox.provider_id = self.provider.id
        if commit:
            mailbox.save()
        return mailbox
