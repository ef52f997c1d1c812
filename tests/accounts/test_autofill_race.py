"""A late autodetection answer never overwrites what the person typed: the hint sends
data and the panel, never the inputs the page already has, and never the password.
On submit, what the page filled in and the person left alone is what detection found."""

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox

from .pages import data_island, submitted_values

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PASSWORD = "app-password-1"


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


def _hint(client, **params):
    return client.get(reverse("provider_hint"), params, headers=HTMX)


def test_the_empty_form_shows_defaults_that_match_their_ports(client_a):
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    assert (values["smtp_port"], values["smtp_security"]) == ("587", "starttls")
    assert (values["imap_port"], values["imap_security"]) == ("993", "ssl")
    # Every field is marked with exactly what the page shows: all of it is ours to fill.
    for name in ("smtp_host", "smtp_port", "smtp_security", "imap_port", "imap_security", "username"):
        assert values[f"auto_{name}"] == values[name], name


def test_the_hint_sends_the_panel_and_data_never_the_inputs(client_a):
    page = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    typed = {**page, "email": "me@icloud.com", "smtp_host": "my.relay.example"}
    body = _hint(client_a, **typed).content.decode()
    assert 'id="provider-panel"' in body and "Not recommended" in body
    assert "<input" not in body and "<select" not in body, "the page's inputs are never replaced"
    data = data_island(body)
    assert data["values"]["smtp_host"] == "smtp.mail.me.com" and data["values"]["imap_username"] == "me"
    assert data["confirmed"] and not data["pending"]


def test_no_hint_request_ever_carries_the_password(client_a):
    body = client_a.get(reverse("mailbox_new")).content.decode()
    password_tag = body[body.index('name="password"') - 200 : body.index('name="password"') + 200]
    assert "data-autofill" not in password_tag  # the script sends [data-autofill] fields only
    assert 'name="smtp_host"' in body and "data-autofill" in body


def test_a_provider_that_needs_sso_replaces_the_fields_and_the_next_address_brings_them_back(
    client_a, oauth_clients
):
    page = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    blocked = _hint(client_a, **{**page, "email": "me@gmail.com"}).content.decode()
    assert 'id="details" data-blocked' in blocked and "Sign in with Google" in blocked
    assert 'name="password"' not in blocked
    # The SSO page has no fields, so it sends no marks: the next address gets them all.
    back = _hint(client_a, email="me@icloud.com").content.decode()
    assert 'id="details"' in back and "data-blocked" not in back
    assert 'name="password"' in back and 'value="imap.mail.me.com"' in back
    # Another blocked provider after a blocked one: only the panel changes.
    again = _hint(client_a, email="me@proton.me").content.decode()
    assert 'id="details"' not in again and "cannot be connected" in again


def test_the_hint_gives_up_at_the_deadline_instead_of_waiting_forever(client_a, settings, monkeypatch):
    settings.DNS_NAMESERVERS = ["127.0.0.1:9"]  # a domain worth looking up; nothing answers
    monkeypatch.setattr("core.dispatch.send", lambda task, *args: None)
    domain = f"slow-{uuid.uuid4().hex[:8]}.test"  # answers and lookups are kept per domain
    pending = data_island(_hint(client_a, email=f"jane@{domain}").content.decode())
    assert pending["pending"] and pending["topic"] == f"detect-{domain}"
    assert pending["stream"] == f"{reverse('live_stream')}?topics=detect-{domain}"
    assert pending["give_up_ms"] >= settings.AUTOCONFIG_DEADLINE * 1000
    body = _hint(client_a, email=f"jane@{domain}", final="1").content.decode()
    assert "Looking up" not in body and f"could not confirm settings for {domain} in time" in body
    assert not data_island(body)["pending"]


def test_only_the_address_and_the_password_connect_with_the_detected_settings(client_a, no_broker):
    """Without JavaScript (or before the answer reached the page): the empty page's
    values as they are, plus the address and the password."""
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    values.update(email="me@icloud.com", password=PASSWORD)
    response = client_a.post(reverse("mailbox_new"), values)
    assert response.status_code == HTTPStatus.FOUND
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security) == (
        "smtp.mail.me.com",
        587,
        "starttls",
    )
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.imap_security) == ("imap.mail.me.com", 993, "ssl")
    assert mailbox.imap_username == "me"


def test_an_old_page_whose_select_was_never_chosen_gets_the_detected_encryption(client_a, no_broker):
    # The request the issue found: SSL/TLS shown by default, its mark empty.
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    values.update(email="me@icloud.com", password=PASSWORD, smtp_security="ssl", auto_smtp_security="")
    client_a.post(reverse("mailbox_new"), values)
    assert Mailbox.objects.get().smtp_security == "starttls"


def test_what_the_person_typed_is_what_gets_tested(client_a, no_broker):
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    values.update(email="me@icloud.com", password=PASSWORD, smtp_host="127.0.0.1", smtp_port="465")
    client_a.post(reverse("mailbox_new"), values)
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security) == ("127.0.0.1", 465, "ssl")
    assert mailbox.imap_host == "imap.mail.me.com"


def test_a_page_shown_again_keeps_the_persons_fields_theirs(client_a):
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    values.update(email="me@icloud.com", smtp_host="127.0.0.1")  # no password: shown again
    body = client_a.post(reverse("mailbox_new"), values).content.decode()
    again = submitted_values(body)
    assert again["smtp_host"] == "127.0.0.1" and again["auto_smtp_host"] == ""
    assert again["imap_host"] == again["auto_imap_host"] == "imap.mail.me.com"
    assert not Mailbox.objects.exists()
