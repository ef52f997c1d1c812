"""The secret a connection test logs in with, and renewing access tokens safely.

Renewal takes a row lock on the credential, so two workers never refresh one grant
at once: Microsoft rotates the refresh token on every refresh, and the loser of a
race would be left holding a dead one. After the lock, the row is read again: if
another worker renewed meanwhile, its token is used as it is.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import Mailbox
from diagnostics.net import sasl
from diagnostics.net.sasl import Bearer, RenewalFailed
from live.publish import publish

from . import client, providers
from .models import OAuthCredential


@sensitive_variables()
def credentials_for(mailbox: Mailbox):
    """A Bearer with a fresh access token for an OAuth mailbox (else its Password).

    Raises core.crypto.DecryptionError when a stored secret cannot be decrypted.
    """
    if mailbox.auth_method != Mailbox.AuthMethod.OAUTH:
        return mailbox.credential()
    credential = OAuthCredential.objects.filter(mailbox=mailbox).first()
    if credential is None or credential.needs_reconnect:
        return Bearer("", failure=sasl.TOKEN_REVOKED)
    provider = providers.get(credential.provider)
    if provider is None or not provider.configured:
        return Bearer("", failure="oauth_not_configured")
    if credential.scopes and provider.mail_scope not in credential.scope_list():
        return Bearer("", failure=sasl.INSUFFICIENT_SCOPE)
    token = credential.access_token()
    if _expiring(credential):
        try:
            token = renew(credential.pk, stale=token)
        except RenewalFailed as failed:
            return Bearer("", failure=failed.reason)
        credential.refresh_from_db()
    return Bearer(
        token,
        provider=provider.id,
        mail_scope=provider.mail_scope,
        expires_at=credential.expires_at.timestamp() if credential.expires_at else None,
        renew=lambda: renew(credential.pk, stale=token),
        inspect=lambda value: client.facts(provider, value),
    )


def bearer_for_token(token: str, provider_id: str) -> Bearer:
    """A token given by hand (`manage.py diagnose --oauth-token-env`): no renewal, but
    the provider is asked about it to explain a refusal, when it is configured here."""
    provider = providers.get(provider_id)
    if provider is None or not provider.configured:
        return Bearer(token, provider=provider_id)
    return Bearer(
        token,
        provider=provider.id,
        mail_scope=provider.mail_scope,
        inspect=lambda value: client.facts(provider, value),
    )


def _expiring(credential: OAuthCredential) -> bool:
    if credential.expires_at is None:
        return False  # the provider gave no lifetime: renew only when refused
    margin = timedelta(seconds=settings.OAUTH_REFRESH_MARGIN)
    return credential.expires_at - timezone.now() <= margin


def renew(credential_pk: int, stale: str) -> str:
    """A new access token in place of `stale`; raises RenewalFailed (token_revoked when
    the provider refuses the grant, which also marks the mailbox for reconnecting)."""
    try:
        return _renew(credential_pk, stale)
    finally:
        if not connection.in_atomic_block:
            # Probe threads must not keep a database connection open while they wait on servers.
            connection.close()


@sensitive_variables()
def _renew(credential_pk: int, stale: str) -> str:
    failure: RenewalFailed | None = None
    with transaction.atomic():
        credential = OAuthCredential.objects.select_for_update().filter(pk=credential_pk).first()
        if credential is None or credential.needs_reconnect:
            raise RenewalFailed(sasl.TOKEN_REVOKED)
        current = credential.access_token()
        if current != stale and not _expiring(credential):
            return current  # another worker renewed it while we waited for the lock
        provider = providers.get(credential.provider)
        if provider is None or not provider.configured:
            raise RenewalFailed("oauth_not_configured")
        refresh_token = credential.refresh_token()
        try:
            if not refresh_token:
                raise client.GrantRefused("no refresh token")
            answer = client.refresh(provider, refresh_token)
        except client.GrantRefused:
            # Kept (not rolled back with an exception): the page offers Reconnect from now on.
            _needs_reconnect(credential)
            failure = RenewalFailed(sasl.TOKEN_REVOKED)
        except client.ProviderUnavailable as exc:
            failure = RenewalFailed(sasl.TOKEN_EXPIRED, str(exc))
        else:
            store_token(credential, answer)
            credential.last_refreshed_at = timezone.now()
            credential.save()
            return credential.access_token()
    raise failure


@sensitive_variables()
def store_token(credential: OAuthCredential, answer: dict) -> None:
    """Keep what a token endpoint returned: the access token, a rotated refresh token
    (Microsoft returns one on every refresh), the expiry and the scopes granted."""
    credential.set_access_token(answer["access_token"])
    if answer.get("refresh_token"):
        credential.set_refresh_token(answer["refresh_token"])
    expires_in = answer.get("expires_in")
    if expires_in is not None:
        credential.expires_at = timezone.now() + timedelta(seconds=int(expires_in))
    elif answer.get("expires_at"):
        credential.expires_at = datetime.fromtimestamp(int(answer["expires_at"]), tz=UTC)
    if answer.get("scope"):
        credential.scopes = " ".join(str(answer["scope"]).split())
    credential.needs_reconnect = False


def _needs_reconnect(credential: OAuthCredential) -> None:
    OAuthCredential.objects.filter(pk=credential.pk).update(needs_reconnect=True)
    mailbox_id = credential.mailbox_id
    transaction.on_commit(lambda: publish(f"mailbox-{mailbox_id}"))
