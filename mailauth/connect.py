"""Connecting a mailbox with Google or Microsoft: the procedures behind the views.

This connects a mailbox; it never signs anyone in to our app. The person stays
signed in as themselves and may connect several mailboxes of either provider.
State: Authlib keeps `state`, the PKCE verifier and the OpenID nonce in the session
under the state value; we keep what the flow is for (the address typed, the mailbox
being reconnected) beside it, and drop both on the first callback, so a callback
replayed, or one from another session, is refused.
"""

import json
from dataclasses import dataclass

from authlib.integrations.base_client import MismatchingStateError, OAuthError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Mailbox
from core import crypto
from diagnostics.flows import start_test

from . import client
from .models import OAuthCredential
from .providers import OAuthProvider
from .tokens import store_token

FLOW_KEY = "mailauth_flow_{}"
PENDING_KEY = "mailauth_pending"


class Refused(Exception):
    """The callback cannot be used; the message says why, in the person's terms."""


@dataclass
class Pending:
    """A sign-in whose vouched address differs from the one typed (or the mailbox
    being reconnected): nothing is connected until the person chooses."""

    provider: str
    email: str
    typed: str
    mailbox_id: int | None


def begin(request: HttpRequest, provider: OAuthProvider, typed: str = "", mailbox: Mailbox | None = None):
    """Redirect to the provider's consent page (authorization code + PKCE S256)."""
    redirect_uri = request.build_absolute_uri(reverse("mailauth_callback", args=[provider.id]))
    hint = typed or (mailbox.email if mailbox else "")
    answer = client.authorization(provider, request, redirect_uri, **({"login_hint": hint} if hint else {}))
    request.session[FLOW_KEY.format(answer["state"])] = {
        "provider": provider.id,
        "typed": typed,
        "mailbox": mailbox.pk if mailbox else None,
    }
    return HttpResponseRedirect(answer["url"])


@sensitive_variables()
def finish(request: HttpRequest, provider: OAuthProvider) -> Mailbox | Pending:
    """Exchange the code, read the vouched address, connect (or hold as Pending)."""
    flow = request.session.pop(FLOW_KEY.format(request.GET.get("state", "")), None)
    named = {"provider": provider.label}
    if flow is None or flow["provider"] != provider.id:
        raise Refused(_("This sign-in was not started here, has expired, or was already used. Start again."))
    if request.GET.get("error"):
        if request.GET["error"] == "access_denied":
            raise Refused(_("You did not allow access at %(provider)s; nothing was connected.") % named)
        raise Refused(
            _("%(provider)s refused the sign-in (%(error)s).") % {**named, "error": request.GET["error"][:60]}
        )
    try:
        token = client.exchange(provider, request)
    except MismatchingStateError:
        raise Refused(_("This sign-in was not started here, or was already used. Start again.")) from None
    except OAuthError as exc:
        raise Refused(
            _("%(provider)s did not complete the sign-in (%(error)s). Try again.")
            % {**named, "error": exc.error}
        ) from None
    email, subject = client.vouched_identity(provider, token)
    if not email:
        raise Refused(
            _("%(provider)s did not tell us which address this is, so nothing was connected.") % named
        )
    mailbox = None
    if flow["mailbox"]:
        mailbox = Mailbox.objects.filter(pk=flow["mailbox"], user=request.user).first()
    expected = mailbox.email if mailbox else flow["typed"]
    if expected and expected.lower() != email:
        request.session[PENDING_KEY] = {
            "provider": provider.id,
            "email": email,
            "subject": subject,
            "typed": expected,
            "mailbox": mailbox.pk if mailbox else None,
            "token": crypto.encrypt(json.dumps(_kept(token))),
        }
        return Pending(provider.id, email, expected, mailbox.pk if mailbox else None)
    return connect(request.user, provider, email, subject, _kept(token))


def pending(request: HttpRequest) -> Pending | None:
    held = request.session.get(PENDING_KEY)
    if not held:
        return None
    return Pending(held["provider"], held["email"], held["typed"], held["mailbox"])


@sensitive_variables()
def take_pending(request: HttpRequest) -> tuple[dict, dict] | None:
    """The held sign-in and its token, removed from the session."""
    held = request.session.pop(PENDING_KEY, None)
    if not held:
        return None
    try:
        token = json.loads(crypto.decrypt(held["token"]))
    except crypto.DecryptionError:
        return None
    return held, token


def _kept(token: dict) -> dict:
    """Only what we store: never the ID token or anything else into the session."""
    keys = ("access_token", "refresh_token", "expires_in", "expires_at", "scope")
    return {k: token[k] for k in keys if token.get(k) is not None}


@sensitive_variables()
def connect(user, provider: OAuthProvider, email: str, subject: str, token: dict) -> Mailbox:
    """Create the mailbox for the vouched address, or reconnect the person's existing
    one (its settings and history stay), store the tokens and start a test."""
    smtp, imap = provider.endpoints()
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().filter(user=user, email__iexact=email).first()
        if mailbox is None:
            mailbox = Mailbox(user=user, email=email, password_encrypted="")
        mailbox.auth_method = Mailbox.AuthMethod.OAUTH
        mailbox.provider_id = provider.id
        mailbox.username = mailbox.smtp_username = mailbox.imap_username = ""
        mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = smtp.host, smtp.port, smtp.security
        mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = imap.host, imap.port, imap.security
        mailbox.password_encrypted = ""  # a password typed earlier is no longer used
        mailbox.save()
        credential = OAuthCredential.objects.filter(mailbox=mailbox).first() or OAuthCredential(
            mailbox=mailbox
        )
        credential.provider = provider.id
        credential.subject = subject
        credential.email = email
        old_refresh = credential.refresh_token() if credential.refresh_token_encrypted else ""
        store_token(credential, token)
        if not token.get("refresh_token") and old_refresh:
            credential.set_refresh_token(old_refresh)  # Google sends one only with consent
        credential.save()
    start_test(mailbox)
    return mailbox
