"""Sign in with the email address (how people sign up) or with a username (accounts
made before sign-up by email, and staff accounts made with createsuperuser)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        model = get_user_model()
        user = model._default_manager.filter(username=username).first()
        if user is None and "@" in username:
            # Sign-up stores the address in lower case as the username; an older account
            # may only have it as its email. Two accounts sharing an address sign in by name.
            user = model._default_manager.filter(username=username.strip().lower()).first()
            if user is None:
                matches = list(model._default_manager.filter(email__iexact=username.strip())[:2])
                user = matches[0] if len(matches) == 1 else None
        if user is None:
            # As ModelBackend does: hash anyway, so the time taken does not say whether
            # an account exists.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
