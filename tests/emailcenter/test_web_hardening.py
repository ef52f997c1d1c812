import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_a_production_environment(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "mail.example.com",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _boom(request):
    raise RuntimeError("secret internal detail")


def _patterns():
    from emailcenter.urls import urlpatterns as app_patterns

    return [path("boom/", _boom), *app_patterns]


urlpatterns = _patterns()


@pytest.mark.django_db
def test_errors_render_friendly_pages_without_tracebacks(client, settings, user):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    missing = client.get("/nowhere/")
    assert missing.status_code == HTTPStatus.NOT_FOUND and "Page not found" in missing.content.decode()


@pytest.mark.django_db
def test_a_missing_csrf_token_gets_a_friendly_403(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/mailboxes/new/", {"email": "x@example.test"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "This form has expired" in response.content.decode()


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token(client_a):
    body = client_a.get("/mailboxes/new/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
