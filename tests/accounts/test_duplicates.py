"""The same address twice: the person is offered the mailbox they already have, and the
database holds one row per address and user whatever the case or the timing."""

from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Mailbox

pytestmark = pytest.mark.django_db

FORM = {
    "password": "app-password-1",
    "username": "",
    "smtp_host": "127.0.0.1",
    "smtp_port": "2525",
    "smtp_security": "starttls",
    "imap_host": "127.0.0.1",
    "imap_port": "1143",
    "imap_security": "ssl",
}


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


def test_connecting_an_address_again_offers_the_existing_mailbox(client_a, user, make_mailbox, no_broker):
    existing = make_mailbox(user, email="carol@example.test")
    response = client_a.post(reverse("mailbox_new"), {**FORM, "email": "Carol@example.test"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "You already connected this address" in body
    assert f'href="{reverse("mailbox_edit", args=[existing.pk])}"' in body
    assert f'formaction="{reverse("mailbox_retest", args=[existing.pk])}"' in body
    assert Mailbox.objects.filter(user=user).count() == 1
    assert body.count("You already connected this address") == 1  # one message, not two


def test_the_hint_says_so_while_the_person_types(client_a, user, make_mailbox):
    make_mailbox(user, email="carol@example.test")
    body = client_a.get(reverse("provider_hint"), {"email": "carol@example.test"}).content.decode()
    assert "You already connected this address" in body
    other = client_a.get(reverse("provider_hint"), {"email": "dave@example.test"}).content.decode()
    assert "You already connected this address" not in other


def test_test_again_from_the_notice_tests_the_existing_mailbox_and_keeps_its_password(
    client_a, user, make_mailbox, no_broker
):
    existing = make_mailbox(user, email="carol@example.test", password="kept")
    # The notice's button submits the connect form, typed password included, to retest.
    client_a.post(reverse("mailbox_retest", args=[existing.pk]), {**FORM, "email": existing.email})
    existing.refresh_from_db()
    assert existing.get_password() == "kept" and existing.tests.count() == 1


def test_another_users_address_is_no_duplicate(client_a, user, other_user, make_mailbox, no_broker):
    make_mailbox(other_user, email="carol@example.test")
    response = client_a.post(reverse("mailbox_new"), {**FORM, "email": "carol@example.test"})
    assert response.status_code == HTTPStatus.FOUND
    assert Mailbox.objects.filter(email="carol@example.test").count() == 2


def test_editing_a_mailbox_onto_another_ones_address_is_refused(client_a, user, make_mailbox):
    make_mailbox(user, email="carol@example.test")
    second = make_mailbox(user, email="dave@example.test")
    data = {**FORM, "email": "carol@example.test", "password": ""}
    response = client_a.post(reverse("mailbox_edit", args=[second.pk]), data)
    assert "You already connected this address" in response.content.decode()
    second.refresh_from_db()
    assert second.email == "dave@example.test"


def test_editing_a_mailbox_keeps_its_own_address(client_a, user, make_mailbox, no_broker):
    mailbox = make_mailbox(user, email="carol@example.test")
    data = {**FORM, "email": "carol@example.test", "password": ""}
    assert client_a.post(reverse("mailbox_edit", args=[mailbox.pk]), data).status_code == HTTPStatus.FOUND


def test_the_database_refuses_a_second_row_for_the_same_address_in_any_case(user, make_mailbox):
    make_mailbox(user, email="carol@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_mailbox(user, email="CAROL@example.test")


def test_two_tabs_posting_at_once_get_one_row_and_the_notice(
    client_a, user, make_mailbox, no_broker, monkeypatch
):
    make_mailbox(user, email="carol@example.test")  # saved by the other tab
    real = Mailbox.already_connected.__func__
    calls = []

    def checked_too_early(cls, *args, **kwargs):
        # The form's check ran before the other tab saved; the view's look after the
        # refused insert sees the row.
        calls.append(args)
        return None if len(calls) == 1 else real(cls, *args, **kwargs)

    monkeypatch.setattr(Mailbox, "already_connected", classmethod(checked_too_early))
    response = client_a.post(reverse("mailbox_new"), {**FORM, "email": "carol@example.test"})
    assert response.status_code == HTTPStatus.OK and len(calls) == 2
    assert "You already connected this address" in response.content.decode()
    assert Mailbox.objects.filter(user=user).count() == 1
