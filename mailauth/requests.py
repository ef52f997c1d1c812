"""A support request asking to enable Sign in with a provider, filled in for the person.

Where a provider takes no password at all (Microsoft) and this installation has no
OAuth client for it yet, this is the way forward: support sees the address and the
reason, and answers once the sign-in is enabled.
"""

from django.utils.translation import gettext as _

from accounts.models import Mailbox
from diagnostics.net import errors
from support.models import SupportRequest

REASON = "oauth_not_configured"


def prefilled_message(provider_label: str, email: str) -> str:
    return _(
        "Please enable Sign in with %(provider)s on this installation: I want to connect %(email)s, and "
        "%(provider)s lets mail apps in only through its own sign-in."
    ) % {"provider": provider_label, "email": email or _("my mailbox")}


def open_request(user, provider, email: str, message: str) -> SupportRequest:
    """The request, with the address, the provider and the reason as support needs them."""
    mailbox = Mailbox.objects.filter(user=user, email__iexact=email).first() if email else None
    detail = _("Sign in with %(provider)s is not set up on this installation.") % {"provider": provider.label}
    return SupportRequest.objects.create(
        user=user,
        mailbox=mailbox,
        email=email or user.email or user.username,
        provider_id=provider.id,
        contact_email=user.email or (user.username if "@" in user.username else email),
        message=message or prefilled_message(provider.label, email),
        errors=[
            {
                "code": errors.SSO_REQUIRED,
                "title": errors.kind(errors.SSO_REQUIRED).title,
                "protocol": "policy",
                "step": "",
                "reason": REASON,
                "detail": detail,
                "server_reply": "",
                "help": [],
                "suggestion": None,
            }
        ],
    )
