from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import choice


@receiver(user_logged_in, dispatch_uid="languages.on_sign_in")
def _on_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None:
        choice.on_sign_in(request, user)
