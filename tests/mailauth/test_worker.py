"""OAuth mailboxes through a real Celery worker process (both tiers: run with
DATABASE_URL/REDIS_URL for PostgreSQL + Redis): the worker renews tokens itself, and
no token, in any form, reaches the broker, the cache, logs, pages or transcripts."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from mailauth.models import OAuthCredential
from tests.diagnostics.test_reliability import _broker_contents
from tests.leaks import token_leak_forms

from . import flows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _finished(mailbox: Mailbox, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        test = mailbox.latest_test()
        if test is not None and test.status in ("connected", "failed"):
            return test
        time.sleep(0.1)
    raise AssertionError("the worker did not finish the test")


def test_the_worker_renews_an_expired_token_and_no_token_leaks_anywhere(
    client_a, user, auth_server, settings, oauth_settings, oauth_dovecot, oauth_smtp, on_worker, caplog
):
    smtp = oauth_smtp(security="ssl", oauth_mechanisms=("XOAUTH2", "OAUTHBEARER"))
    flows.servers_override(settings, smtp, oauth_dovecot)
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("wleak"))
    auth_server.sign_in_as(email)
    flows.sign_in(client_a, email=email)
    mailbox = Mailbox.objects.get(user=user)
    first = _finished(mailbox)
    assert first.status == "connected", list(first.errors.values("code", "reason", "detail"))

    credential = mailbox.oauth
    old_access, old_refresh = credential.access_token(), credential.refresh_token()
    auth_server.expire(old_access)
    OAuthCredential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    time.sleep(0.2)
    second = _finished(mailbox)
    assert second.pk != first.pk and second.status == "connected", list(second.errors.values("reason"))
    credential.refresh_from_db()
    new_access, new_refresh = credential.access_token(), credential.refresh_token()
    assert new_access != old_access and new_refresh != old_refresh

    # Then the grant is revoked: the worker's refresh fails and the page offers Reconnect.
    auth_server.revoke_user(email)
    OAuthCredential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client_a.post(reverse("mailbox_retest", args=[mailbox.pk]))
    time.sleep(0.2)
    third = _finished(mailbox)
    assert set(third.errors.values_list("reason", flat=True)) == {"token_revoked"}

    servers = (("127.0.0.1", smtp.port), ("127.0.0.1", oauth_dovecot.port_ssl))
    forms = [
        form.encode()
        for token in (old_access, old_refresh, new_access, new_refresh)
        for form in token_leak_forms(token, email, servers)
    ]
    pages = [
        client_a.get(reverse(name, args=[mailbox.pk])).content
        for name in ("mailbox_detail", "mailbox_status")
    ] + [client_a.get(reverse("mailbox_list")).content]
    assert b"Reconnect with Google" in pages[0]
    places = {
        "pages": pages,
        "broker and cache": _broker_contents(),
        "worker log": [on_worker.log().encode()],
        "test-process logs": [caplog.text.encode()],
        "transcripts": [t.transcript.encode() for t in (first, second, third)],
        "errors": [
            f"{e.detail} {e.server_reply}".encode() for t in (first, second, third) for e in t.errors.all()
        ],
        "steps": [s.detail.encode() for t in (first, second, third) for s in t.steps.all()],
        "settings snapshots": [repr(t.settings).encode() for t in (first, second, third)],
        "sessions": [repr(s.get_decoded()).encode() for s in Session.objects.all()],
        "credential columns": [
            f"{credential.access_token_encrypted} {credential.refresh_token_encrypted}".encode()
        ],
    }
    assert first.transcript and "[redacted]" in first.transcript
    for where, blobs in places.items():
        for blob in blobs:
            for form in forms:
                assert form not in blob, f"a token leaked into {where}"
