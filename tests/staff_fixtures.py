"""Fixtures for the review and support tests: staff roles, failed tests, screenshots.

A pytest plugin listed in tests/conftest.py. The review and support folders use
`media_root` for every test (their conftests); other tests ask for it by name.
"""

import io

import pytest
from PIL import Image

from core.roles import ADMIN, SUPPORT, grant
from diagnostics.models import ConnectionTest, TestError, TestStep

PASSWORD = "Hunter2-Pässwörd-XYZ"  # every test mailbox's password; must never show up anywhere


@pytest.fixture
def media_root(settings, tmp_path):
    """Screenshots go to a per-test folder, never to var/media; users hash passwords fast."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REVIEW_TRENDS_CACHE_SECONDS = 0  # each test sees its own data
    return settings.MEDIA_ROOT


@pytest.fixture
def support_user(make_user):
    person = make_user("sam-support")
    grant(person, SUPPORT)
    return person


@pytest.fixture
def admin_user(make_user):
    person = make_user("ada-admin")
    grant(person, ADMIN)
    return person


@pytest.fixture
def login(client):
    """login(user) -> the client signed in as that user (None: signed out)."""

    def as_user(person):
        client.logout()
        if person is not None:
            client.force_login(person)
        return client

    return as_user


@pytest.fixture
def make_failed_test():
    def make(
        mailbox,
        code="imap_auth",
        reason="",
        provider=None,
        created_at=None,
        transcript="S: * OK ready\nC: a1 LOGIN alice ****\nS: a1 NO [AUTHENTICATIONFAILED] nope",
        server_reply="a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
        extra_codes=(),
        status=ConnectionTest.Status.FAILED,
    ):
        test = ConnectionTest.objects.create(
            mailbox=mailbox,
            status=status,
            settings=mailbox.settings_snapshot(),
            provider_id=mailbox.provider_id if provider is None else provider,
            transcript=transcript,
        )
        TestStep.objects.create(test=test, protocol="smtp", name="connect", ok=True, ms=12, detail="")
        TestStep.objects.create(test=test, protocol="imap", name="login", ok=False, ms=345, detail="refused")
        if status == ConnectionTest.Status.FAILED:
            for i, each in enumerate((code, *extra_codes)):
                TestError.objects.create(
                    test=test,
                    code=each,
                    reason=reason if i == 0 else "",
                    protocol="imap" if "imap" in each else "smtp",
                    step="login",
                    detail="The server refused the login.",
                    server_reply=server_reply,
                    suggestion={
                        "message": "Use the full address as username.",
                        "imap_username": mailbox.email,
                    },
                )
        if created_at is not None:
            ConnectionTest.objects.filter(pk=test.pk).update(created_at=created_at)
            test.refresh_from_db()
        return test

    return make


def image_bytes(fmt="PNG", size=(64, 48), colour=(200, 30, 30), **save_args) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save_args)
    return out.getvalue()
