"""The registry of encrypted columns: every secret is declared once, and a key rotation
that drops the old key leaves every one of them readable, webhook secrets included."""

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from core import crypto, secrets

SECRET = "hook-secret-rotated"


def test_every_encrypted_column_is_registered():
    assert secrets.unregistered(apps.get_models()) == []
    registered = {c.key for c in secrets.columns()}
    assert {
        ("accounts.mailbox", "password_encrypted"),
        ("mailauth.oauthcredential", "access_token_encrypted"),
        ("mailauth.oauthcredential", "refresh_token_encrypted"),
        ("monitoring.alertpreference", "webhook_secret_encrypted"),
        ("imports.importrow", "cells_encrypted"),
        ("imports.importrow", "password_encrypted"),
    } <= registered


def test_a_new_encrypted_field_that_is_not_registered_is_caught():
    class Vault(models.Model):
        token_encrypted = models.TextField()

        class Meta:
            app_label = "sharedstate"
            managed = False

        def __str__(self) -> str:
            return "vault"

    try:
        assert secrets.unregistered([Vault]) == ["sharedstate.vault.token_encrypted"]
    finally:
        apps.all_models["sharedstate"].pop("vault", None)
        apps.clear_cache()


class _Verifier:
    """A webhook receiver that checks the signature with the secret it was given."""

    def __init__(self, secret: str):
        self.verified: list[bool] = []
        self.arrived = threading.Event()
        verifier = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stamp = self.headers["X-EAC-Timestamp"].encode()
                mac = hmac.new(secret.encode(), stamp + b"." + body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(self.headers["X-EAC-Signature"], "sha256=" + mac)
                verifier.verified.append(ok)
                self.send_response(204 if ok else 401)
                self.end_headers()
                verifier.arrived.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.django_db(transaction=True)
def test_rotation_that_drops_the_old_key_keeps_every_secret_and_signed_webhooks_verify(
    settings, user, make_mailbox
):
    from imports.models import ImportJob, ImportRow
    from monitoring import webhooks
    from monitoring.models import AlertPreference, WebhookDelivery

    receiver = _Verifier(SECRET)
    try:
        make_mailbox(user, password="mailbox-pw")
        pref = AlertPreference(user=user, webhook_url=receiver.url)
        pref.set_webhook_secret(SECRET)
        pref.save()
        job = ImportJob.objects.create(user=user, filename="a.csv")
        row = ImportRow(job=job, number=1, password_encrypted=crypto.encrypt("row-pw"))
        row.set_cells(["ann@example.test", "row-pw"])
        row.save()

        new = Fernet.generate_key().decode()
        settings.CREDENTIALS_KEYS = [new, *settings.CREDENTIALS_KEYS]
        call_command("rotate_credentials")
        settings.CREDENTIALS_KEYS = [new]  # the old key is gone
        call_command("check_credentials")

        assert AlertPreference.objects.get(user=user).webhook_secret() == SECRET
        assert ImportRow.objects.get(pk=row.pk).get_cells() == ["ann@example.test", "row-pw"]
        assert crypto.decrypt(ImportRow.objects.get(pk=row.pk).password_encrypted) == "row-pw"
        delivery = WebhookDelivery.objects.create(user=user, url=receiver.url, body='{"event": "x"}')
        assert webhooks.deliver(delivery.pk) == "delivered"
        assert receiver.arrived.wait(10) and receiver.verified == [True]
    finally:
        receiver.server.shutdown()


@pytest.mark.django_db
def test_check_credentials_names_an_unreadable_webhook_secret(settings, user):
    from monitoring.models import AlertPreference

    pref = AlertPreference(user=user, webhook_url="https://hooks.example.com/x")
    pref.set_webhook_secret(SECRET)
    pref.save()
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="webhook secret"):
        call_command("check_credentials")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("rotate_credentials")
