"""Removing a mailbox revokes its grant at the provider (best effort), then the
tokens go with the row."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.views.decorators.debug import sensitive_variables

from accounts.models import Mailbox
from core import crypto

from . import client, providers
from .models import OAuthCredential


@sensitive_variables()
def revoke_quietly(provider, token: dict) -> None:
    """Revoke a grant we hold tokens of; never raises (the tokens are dropped anyway)."""
    if provider is None or not provider.configured:
        return
    # Revoking the refresh token ends the whole grant at Google; the access token too, in case.
    if token.get("refresh_token"):
        client.revoke(provider, token["refresh_token"], "refresh_token")
    if token.get("access_token"):
        client.revoke(provider, token["access_token"], "access_token")


@receiver(pre_delete, sender=Mailbox, dispatch_uid="mailauth-revoke-on-delete")
@sensitive_variables()
def revoke_on_delete(sender, instance: Mailbox, **kwargs) -> None:
    credential = OAuthCredential.objects.filter(mailbox_id=instance.pk).first()
    if credential is None:
        return
    try:
        token = {"refresh_token": credential.refresh_token(), "access_token": credential.access_token()}
    except crypto.DecryptionError:
        return
    revoke_quietly(providers.get(credential.provider), token)
