"""Getting in: sign up with an email address, log in, reset a forgotten password.

Django's own views and forms, with our wording, the start page per role after login,
and a brake on reset emails.
"""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from core import limits
from core.roles import landing_url

from ..forms import SignupForm, ThrottledLoginForm, password_hint_attrs
from ..throttle import client_ip, signup_blocked

BACKEND = "accounts.backends.EmailOrUsernameBackend"
# Reset emails: per address asked for, and per client address (a stranger must not be
# able to flood someone's inbox, nor us through them).
RESETS_PER_EMAIL = 3
RESETS_PER_IP = 10
RESET_WINDOW = 3600


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and signup_blocked(client_ip(request)):
        form.add_error(
            None, _("Too many sign-ups from your network in the last hour. Please try again later.")
        )
    elif request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:  # the same address signed up a moment ago (a double click)
            form.add_error("email", _("An account with this address already exists. Log in instead."))
        else:
            login(request, user, backend=BACKEND)
            return redirect("mailbox_new")
    return render(request, "registration/signup.html", {"form": form})


class EmailLoginForm(ThrottledLoginForm):
    error_messages = {
        **ThrottledLoginForm.error_messages,
        "invalid_login": gettext_lazy(
            "This email address (or username) and password do not match an account. Check both for "
            "typos, or reset your password."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        # People sign in with their address; staff accounts have a username.
        field.label = gettext_lazy("Email address or username")
        field.widget.attrs.update({"autocomplete": "username"})


class LoginView(auth_views.LoginView):
    authentication_form = EmailLoginForm

    def get_default_redirect_url(self) -> str:
        """Staff land on their work, everyone else on their mailboxes (a `next` still wins)."""
        return landing_url(self.request.user)


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        ip = client_ip(self.request)
        within = limits.allow("reset-email", email, limit=RESETS_PER_EMAIL, window=RESET_WINDOW)
        within = limits.allow("reset-ip", ip, limit=RESETS_PER_IP, window=RESET_WINDOW) and within
        if not within:
            # The same answer as a sent email: the page never says whether an account exists.
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["email"].label = gettext_lazy("Email address")
        return form


class NewPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = ""
        self.fields["new_password1"].widget.attrs.update(password_hint_attrs())
        self.fields["new_password2"].label = gettext_lazy("Type the new password again")
        self.fields["new_password2"].help_text = ""


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
