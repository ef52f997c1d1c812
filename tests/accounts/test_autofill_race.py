"""A late autodetection answer never overwrites what the user typed, and no hint request
ever carries the password."""

from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_typed_server_fields_survive_a_later_hint(client_a):
    # The page pre-filled 587/starttls and the usual names; the user typed a host and port.
    response = client_a.get(
        reverse("provider_hint"),
        {
            "email": "me@icloud.com",
            "smtp_host": "my.relay.example",
            "auto_smtp_host": "smtp.example.test",
            "smtp_port": "2525",
            "auto_smtp_port": "587",
            "imap_host": "imap.example.test",
            "auto_imap_host": "imap.example.test",
        },
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'value="my.relay.example"' in body and 'value="2525"' in body  # the user's
    assert 'value="imap.mail.me.com"' in body  # untouched, so the detected value
    assert 'name="auto_smtp_host" value="smtp.mail.me.com"' in body


def test_the_password_field_is_preserved_across_swaps_and_never_sent(client_a):
    body = client_a.get(reverse("mailbox_new")).content.decode()
    assert 'hx-preserve="true"' in body and 'name="password"' in body
    assert 'hx-include="[data-autofill]"' in body
    password_tag = body[body.index('name="password"') - 200 : body.index('name="password"') + 200]
    assert "data-autofill" not in password_tag
