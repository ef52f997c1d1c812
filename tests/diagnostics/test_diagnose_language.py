"""`manage.py diagnose --language xx`: the words in that language; codes, reasons, keys and
the server's reply exactly as without it. Without the option: English, whatever is active."""

import pytest
from django.utils import translation

from diagnostics.net import errors
from tests.diagnostics.test_diagnose import GOOD, _smtp, codes, diagnose, mailbox_user  # noqa: F401
from tests.languages.catalogues import compile_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _compiled():
    compile_all()


def _wrong_imap_password(monkeypatch, smtp_server, dovecot, mailbox_user, *extra):  # noqa: F811
    smtp = smtp_server(security="starttls", users={mailbox_user: "other-pw"})
    return diagnose(
        monkeypatch, mailbox_user, "other-pw", _smtp(smtp), ("127.0.0.1", dovecot.port_ssl, "ssl"), *extra
    )


def test_it_writes_the_words_in_german_and_keeps_the_contract_english(
    monkeypatch,
    smtp_server,
    dovecot,
    mailbox_user,  # noqa: F811
):
    status, english = _wrong_imap_password(monkeypatch, smtp_server, dovecot, mailbox_user)
    status_de, german = _wrong_imap_password(
        monkeypatch, smtp_server, dovecot, mailbox_user, "--language", "de"
    )
    assert status == status_de == 1
    assert german.keys() == english.keys()
    assert codes(german) == codes(english) == {("imap", "imap_auth")}
    (error,), (english_error,) = german["errors"], english["errors"]
    assert error.keys() == english_error.keys()
    for key in ("code", "reason", "protocol", "step", "server_reply"):
        assert error[key] == english_error[key]
    assert "AUTHENTICATIONFAILED" in error["server_reply"]
    assert english_error["title"] == errors.kind(errors.IMAP_AUTH).title
    assert error["title"] == "IMAP-Anmeldung fehlgeschlagen"
    assert len(error["help"]) == len(english_error["help"])
    assert error["help"][0].startswith("Prüfen Sie")
    assert german["status"] == "failed" and german["steps"][0].keys() == english["steps"][0].keys()


def test_without_the_option_it_speaks_english_even_when_another_language_is_active(
    monkeypatch,
    smtp_server,
    dovecot,
    mailbox_user,  # noqa: F811
):
    with translation.override("fr"):
        _, result = _wrong_imap_password(monkeypatch, smtp_server, dovecot, mailbox_user)
    assert result["errors"][0]["title"] == "IMAP authentication error"


def test_the_probes_own_detail_is_translated_too(
    monkeypatch,
    smtp_server,
    dovecot,
    mailbox_user,  # noqa: F811
):
    _, english = _wrong_imap_password(monkeypatch, smtp_server, dovecot, mailbox_user)
    _, german = _wrong_imap_password(monkeypatch, smtp_server, dovecot, mailbox_user, "--language", "de")
    assert german["errors"][0]["detail"] != english["errors"][0]["detail"]
