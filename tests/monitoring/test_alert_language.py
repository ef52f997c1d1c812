"""Alert emails and digests arrive in the owner's language, whatever the worker speaks;
the server's reply stays as the server said it."""

import pytest
from django.core import mail
from django.utils import translation

from languages.models import LanguagePreference
from monitoring import alerts, checks
from monitoring import state as mailbox_states
from monitoring.models import State
from tests.languages.catalogues import compile_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True, scope="module")
def _compiled():
    compile_all()


def _break(servers, mailbox):
    servers.change_password(mailbox.email, "changed-elsewhere")
    return checks.run_check(mailbox.pk)


def test_the_alert_is_written_in_the_owners_saved_language(connected_mailbox, servers, user):
    LanguagePreference.objects.create(user=user, language="de", chosen=True)
    mailbox = connected_mailbox()
    with translation.override("en"):  # the worker's own language does not matter
        assert _break(servers, mailbox).after == State.DISCONNECTED
        assert translation.get_language() == "en"
    (sent,) = mail.outbox
    with translation.override("de"):  # the mailbox's state, as the German pages word it
        state = mailbox_states.of(mailbox)
    assert state.label != "Disconnected" and state.action.label != "Type the password again"
    assert sent.subject.startswith(f"{mailbox.email}: {state.label}, ")
    assert "IMAP-Anmeldung fehlgeschlagen" in sent.subject or "SMTP-Anmeldung fehlgeschlagen" in sent.subject
    assert f"Hallo {user.get_username()}," in sent.body
    assert "Was zu tun ist:" in sent.body and f"{state.action.label}:" in sent.body
    assert "What to do" not in sent.body and "Hello" not in sent.body
    # The server's own words, untouched.
    assert "Der Server antwortete:" in sent.body
    reply = sent.body.split("Der Server antwortete: ", 1)[1].splitlines()[0]
    assert reply == mailbox.checks.first().server_reply != ""


def test_the_digest_is_written_in_each_owners_language(connected_mailbox, servers, user, make_user):
    LanguagePreference.objects.create(user=user, language="fr", chosen=False)
    spanish = make_user("sofia")
    LanguagePreference.objects.create(user=spanish, language="es", chosen=True)
    boxes = [connected_mailbox() for _ in range(3)] + [connected_mailbox(owner=spanish) for _ in range(3)]
    for box in boxes:
        _break(servers, box)
    mail.outbox.clear()
    assert alerts.send_digests() == 2
    by_owner = {message.to[0]: message for message in mail.outbox}
    french, spanish_mail = by_owner[user.email], by_owner[spanish.email]
    assert french.subject == "3 boîtes mail demandent votre attention"
    assert "Voici votre résumé quotidien" in french.body
    assert spanish_mail.subject == "3 buzones necesitan tu atención"
    assert "Este es tu resumen diario" in spanish_mail.body


def test_without_a_saved_language_the_alert_is_english(connected_mailbox, servers):
    mailbox = connected_mailbox()
    with translation.override("de"):
        _break(servers, mailbox)
    (sent,) = mail.outbox
    assert "What to do" in sent.body and sent.subject.startswith(f"{mailbox.email}: Disconnected, ")
