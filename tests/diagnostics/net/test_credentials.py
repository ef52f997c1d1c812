"""The probes' two credentials and the one settings value, without any server."""

import pytest

from diagnostics.net import sasl
from diagnostics.net.credentials import Password
from diagnostics.net.mailbox import MailboxSettings
from diagnostics.net.redaction import REDACTED
from diagnostics.net.sasl import Bearer
from diagnostics.net.transport import ServerSettings

SMTP = ServerSettings("127.0.0.1", 2525, "starttls", "alice@example.test")
IMAP = ServerSettings("127.0.0.1", 1143, "ssl", "alice")


def test_a_password_says_what_it_is_and_masks_itself():
    password = Password("correct horse battery")
    assert password.kind == sasl.PASSWORD and password.failure == ""
    assert "correct" not in repr(password)
    assert password.redactor(SMTP, IMAP)("PASS correct horse battery") == f"PASS {REDACTED}"


def test_a_bearer_masks_its_token_in_the_sasl_strings_it_travels_in():
    bearer = Bearer("ya29.a0AfH6SMBx-token-value")
    assert bearer.kind == sasl.OAUTH
    initial = sasl.xoauth2(SMTP.username, bearer.token)
    assert bearer.token not in bearer.redactor(SMTP, IMAP)(f"AUTH XOAUTH2 {initial} {bearer.token}")


def test_a_bare_string_is_no_credential():
    with pytest.raises(AttributeError):
        "secret".redactor(SMTP, IMAP)  # type: ignore[attr-defined]


def test_settings_give_each_protocol_its_login_and_the_other_form_to_try():
    settings = MailboxSettings(
        "alice@example.test",
        imap_username="alice",
        smtp_host="smtp.example.test",
        smtp_port=587,
        smtp_security="starttls",
        imap_host="imap.example.test",
        imap_port=993,
        imap_security="ssl",
    )
    assert settings.login_name("smtp") == "alice@example.test"
    assert settings.login_name("imap") == "alice"
    smtp = settings.server("smtp")
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "smtp.example.test",
        587,
        "starttls",
        "alice@example.test",
    )
    assert smtp.alt_username == ""  # no provider rule for this domain: nothing else to try
    assert settings.logins() == [("smtp.example.test", "alice@example.test"), ("imap.example.test", "alice")]
    with pytest.raises(AttributeError):
        settings.smtp_port = 25  # one value, never changed on the way


def test_a_known_providers_other_username_form_comes_with_the_server():
    settings = MailboxSettings(
        "alice@icloud.com", imap_host="imap.mail.me.com", imap_port=993, imap_security="ssl"
    )
    imap = settings.server("imap")
    assert imap.username == "alice@icloud.com" and imap.alt_username == "alice"  # iCloud IMAP: the local part
