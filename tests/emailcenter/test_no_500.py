"""No 500s: a malformed id is a 404, a locked database a 503 that keeps the form (but never
the password), and no error page or log shows a password, under DEBUG too."""

import contextlib
import logging
import re
import socket
import sqlite3
from http import HTTPStatus

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Mailbox
from tests.accounts.test_views import SECRET, _form


@pytest.mark.django_db
@pytest.mark.parametrize("mailbox", ["abc", "1.5", "-1", "9" * 30, "١", "1\x00"])
def test_a_malformed_mailbox_id_on_the_sso_start_is_a_404(client_a, settings, mailbox):
    settings.GOOGLE_OAUTH_CLIENT_ID, settings.GOOGLE_OAUTH_CLIENT_SECRET = "id", "secret"
    response = client_a.get(reverse("sso_start", args=["google"]), {"mailbox": mailbox})
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_malformed_ids_in_bulk_forms_select_nothing(client, admin_user):
    client.force_login(admin_user)
    for url, field in ((reverse("health_fleet_bulk"), "ids"), (reverse("review_bulk_mark"), "mailboxes")):
        response = client.post(url, {"action": "pause", field: ["9" * 30, "abc", "١"]})
        assert response.status_code == HTTPStatus.FOUND, url


@contextlib.contextmanager
def _locked():
    """Another connection holds SQLite's write lock; ours gives up after 0.3 s, not 20."""
    options = connection.settings_dict["OPTIONS"]
    before = options["timeout"]
    options["timeout"] = 0.3
    connection.close()
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()
        options["timeout"] = before
        connection.close()


sqlite_only = pytest.mark.skipif(
    "postgres" in __import__("os").environ.get("DATABASE_URL", ""),
    reason="holds a SQLite write lock (the default tier)",
)


@sqlite_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_locked_database_gives_a_503_that_keeps_the_form_but_not_the_password(
    client_a, settings, caplog, debug
):
    settings.DEBUG = debug
    client_a.get(reverse("mailbox_new"))  # the session and CSRF cookie, before the lock
    client_a.raise_request_exception = False
    with caplog.at_level(logging.DEBUG), _locked():
        response = client_a.post(reverse("mailbox_new"), _form())
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert 'value="carol@example.test"' in page and 'name="smtp_port" value="2525"' in page
    assert 'type="password"' in page and 'name="password"' in page  # asked for again
    assert SECRET not in page and SECRET not in caplog.text
    assert "Traceback" not in page


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_the_kept_form_can_be_sent_again_once_the_lock_is_gone(client_a, user):
    client_a.get(reverse("mailbox_new"))
    with _locked():
        page = client_a.post(reverse("mailbox_new"), _form()).content.decode()
    kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert kept["email"] == "carol@example.test" and "password" not in kept
    response = client_a.post(reverse("mailbox_new"), {**kept, "password": SECRET})
    assert response.status_code == HTTPStatus.FOUND
    assert Mailbox.objects.get(user=user).get_password() == SECRET


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data", "secret"),
    [
        ("mailbox_new", _form(), SECRET),
        ("signup", {"email": "e@example.test", "password1": SECRET, "password2": SECRET}, SECRET),
        (
            "alert_settings",
            {"mode": "immediate", "webhook_url": "https://h.example/x", "webhook_secret": SECRET},
            SECRET,
        ),
    ],
)
def test_an_error_page_under_debug_shows_no_password(
    client, user, settings, caplog, monkeypatch, url, data, secret
):
    """Django's own filter is off under DEBUG; ours is not."""
    settings.DEBUG = True
    if url != "signup":
        client.force_login(user)

    def broken(*args, **kwargs):
        raise RuntimeError("something broke after the form was read")

    monkeypatch.setattr("django.template.response.SimpleTemplateResponse.render", broken)
    monkeypatch.setattr("django.shortcuts.render", broken)
    for module in ("accounts.views.mailboxes", "accounts.views.entry", "monitoring.views"):
        monkeypatch.setattr(f"{module}.render", broken, raising=False)
    monkeypatch.setattr("accounts.views.mailboxes.redirect", broken)
    monkeypatch.setattr("accounts.views.entry.redirect", broken, raising=False)
    monkeypatch.setattr("monitoring.views.redirect", broken, raising=False)
    client.raise_request_exception = False
    with caplog.at_level(logging.DEBUG):
        response = client.post(reverse(url), data)
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    page = response.content.decode()
    assert "something broke after the form was read" in page  # the debug page, with its frames
    assert secret not in page and secret not in caplog.text


@contextlib.contextmanager
def _unreachable():
    """The database cannot be opened at all: a missing folder for SQLite, a closed port
    for PostgreSQL (its pool emptied first, so that no connection is left to reuse)."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            connection.settings_dict["PORT"] = probe.getsockname()[1]
        connection.settings_dict["OPTIONS"] = {**saved["OPTIONS"], "connect_timeout": 2}
        if "pool" in saved["OPTIONS"]:
            connection.settings_dict["OPTIONS"]["pool"] = {**saved["OPTIONS"]["pool"], "timeout": 2}
    else:
        connection.settings_dict["NAME"] = "/nonexistent-folder/db.sqlite3"
    try:
        yield
    finally:
        connection.close()
        if connection.vendor == "postgresql":
            connection.close_pool()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_gives_a_503_on_every_tier(client_a):
    client_a.get(reverse("mailbox_new"))
    client_a.raise_request_exception = False
    with _unreachable():
        page = client_a.get(reverse("mailbox_list"))
        posted = client_a.post(reverse("mailbox_new"), _form())
    assert page.status_code == posted.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert page["Retry-After"] == posted["Retry-After"] == "5"
    body = posted.content.decode()
    assert 'value="carol@example.test"' in body and SECRET not in body
