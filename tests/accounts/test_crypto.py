import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Mailbox
from core import crypto

pytestmark = pytest.mark.django_db


def test_it_stores_only_ciphertext(user, make_mailbox):
    mailbox = make_mailbox(user, password="hunter2-ünï")
    stored = Mailbox.objects.values_list("password_encrypted", flat=True).get(pk=mailbox.pk)
    assert "hunter2" not in stored
    assert Mailbox.objects.get(pk=mailbox.pk).get_password() == "hunter2-ünï"


def test_it_raises_instead_of_returning_garbage_with_a_wrong_key(settings, user, make_mailbox):
    mailbox = make_mailbox(user, password="s3cret")
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError):
        Mailbox.objects.get(pk=mailbox.pk).get_password()


def test_it_rotates_to_the_first_key_and_keeps_every_password(settings, user, make_mailbox):
    old = settings.CREDENTIALS_KEYS[0]
    first = make_mailbox(user, email="a@example.test", password="one")
    second = make_mailbox(user, email="b@example.test", password="two")
    new = Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials")
    settings.CREDENTIALS_KEYS = [new]  # the old generation is gone
    call_command("check_credentials")
    assert Mailbox.objects.get(pk=first.pk).get_password() == "one"
    assert Mailbox.objects.get(pk=second.pk).get_password() == "two"


def test_check_credentials_fails_when_a_row_cannot_be_decrypted(settings, user, make_mailbox):
    make_mailbox(user, password="x")
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("check_credentials")


def test_rotate_credentials_changes_nothing_when_a_row_is_undecryptable(settings, user, make_mailbox):
    mailbox = make_mailbox(user, password="x")
    before = Mailbox.objects.values_list("password_encrypted", flat=True).get(pk=mailbox.pk)
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError):
        call_command("rotate_credentials")
    assert Mailbox.objects.values_list("password_encrypted", flat=True).get(pk=mailbox.pk) == before
