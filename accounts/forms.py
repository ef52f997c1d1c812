from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from diagnostics import autodetection as autodetect_service
from diagnostics.net import validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.runner import policy_errors
from diagnostics.net.usernames import normalize_app_password

from .models import Mailbox

MAX_PASSWORD = 1024
SECURE_CHOICES = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS")]
ALL_CHOICES = SECURE_CHOICES + [("none", "None (unencrypted)")]


# Fields autodetection fills in. The hint requests send them back (never the password)
# with the values last filled in, so a later answer keeps whatever the user changed.
AUTOFILLED = (
    "username",
    "smtp_username",
    "imap_username",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "imap_host",
    "imap_port",
    "imap_security",
)


class ThrottledLoginForm(AuthenticationForm):
    """Django's sign-in, refusing further tries after repeated failures."""

    def clean(self):
        from .throttle import client_ip, login_blocked, login_failed

        username = (self.data.get("username") or "")[:150]
        ip = client_ip(self.request) if self.request else "unknown"
        minutes = login_blocked(username, ip)
        if minutes:
            raise forms.ValidationError(
                f"Too many failed sign-ins. For your account's safety, try again in {minutes} minutes.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            login_failed(username, ip)
            raise


class SignupForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


def _checked(check, value):
    try:
        return check(value)
    except ProbeError as exc:
        raise forms.ValidationError(exc.detail) from None


class MailboxForm(forms.ModelForm):
    """The connection form. The password is never rendered back into the page."""

    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        max_length=MAX_PASSWORD,
        strip=False,
        required=False,
        help_text="Your mailbox password, or an app password if your provider requires one.",
    )
    allow_unencrypted = forms.BooleanField(
        required=False,
        label="Allow unencrypted connections (advanced, not recommended)",
        help_text="Only for servers on a trusted network that offer no encryption at all.",
    )
    smtp_security = forms.ChoiceField(choices=ALL_CHOICES, label="SMTP encryption")
    imap_security = forms.ChoiceField(choices=ALL_CHOICES, label="IMAP encryption")

    class Meta:
        model = Mailbox
        fields = ["email", *AUTOFILLED]
        help_texts = {
            "username": "Leave empty if your username is your email address.",
            "smtp_username": "Only if sending needs a different username than receiving.",
            "imap_username": "Only if receiving needs a different username than sending.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        # A swap of the surrounding fields must keep what the user already typed here.
        self.fields["password"].widget.attrs["hx-preserve"] = "true"
        for name in AUTOFILLED:
            self.fields[name].widget.attrs["data-autofill"] = ""
        self.fields["username"].required = False
        for name in ("smtp_port", "imap_port"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 65535})
        if self.instance.pk is None:
            self.fields["password"].required = True
        else:
            self.fields["password"].help_text = "Leave empty to keep the saved password."
        self.provider = None

    def clean_email(self):
        email = _checked(validate.email, self.cleaned_data["email"])
        # The directory, the cached cascade, then the MX record alone with a short
        # timeout: a Workspace or Microsoft 365 custom domain is refused like gmail.com.
        self.provider = autodetect_service.quick_provider(email)
        blocked = policy_errors(self.provider)
        if blocked:
            raise forms.ValidationError(blocked[0].detail)
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
                        "Unencrypted connections send your password in the clear. Choose "
                        "SSL/TLS or STARTTLS, or tick the advanced option below.",
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


def keep_user_edits(initial: dict, submitted) -> dict:
    """Detected values, except where the user changed what we had filled in."""
    merged = dict(initial)
    for name in AUTOFILLED:
        current, filled = submitted.get(name), submitted.get(f"auto_{name}")
        if current is not None and filled is not None and current != filled:
            merged[name] = current[:500]
    return merged


def initial_for(email: str, detection=None) -> dict:
    """Fields to pre-fill for an address: what autodetection found so far (the
    directory, the cached cascade, or the usual names while the cascade runs)."""
    try:
        email = validate.email(email)
    except ProbeError:
        return {}
    if detection is None:
        detection = autodetect_service.hint(email, start=False)
    if detection.smtp is None or detection.imap is None:
        return {"email": email}
    initial = {"email": email, "username": "", "smtp_username": "", "imap_username": ""}
    smtp_login, imap_login = detection.smtp.username, detection.imap.username
    if smtp_login == imap_login:
        initial["username"] = "" if smtp_login == email else smtp_login
    else:  # iCloud: the local part for IMAP only
        initial["smtp_username"] = "" if smtp_login == email else smtp_login
        initial["imap_username"] = "" if imap_login == email else imap_login
    for protocol in ("smtp", "imap"):
        server = getattr(detection, protocol)
        initial.update(
            {
                f"{protocol}_host": server.host,
                f"{protocol}_port": server.port,
                f"{protocol}_security": server.security,
            }
        )
    return initial
