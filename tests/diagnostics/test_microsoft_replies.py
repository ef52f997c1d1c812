"""Microsoft's refusals, in Microsoft's exact words, replayed by scripted servers on
127.0.0.1: each gets its own reason and the one fix that works. 5.7.30 (Basic SMTP AUTH
retired) is never called a wrong password nor an app-password problem."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from diagnostics import flows
from diagnostics.net import errors
from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP
from tests.diagnostics.net.test_reasons import imap, reason_of, smtp

pytestmark = pytest.mark.django_db

RETIRED = (
    b"550 5.7.30 Basic authentication is not supported for Client Submission. "
    b"Visit https://aka.ms/smtp_auth_disabled for more information."
)
TENANT = (
    b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
    b"Visit https://aka.ms/smtp_auth_disabled for more information."
)
SECURITY_DEFAULTS = (
    b"535 5.7.139 Authentication unsuccessful, user is locked by your organization's security "
    b"defaults policy. Contact your administrator."
)
BASIC_DISABLED = b"535 5.7.139 Authentication unsuccessful, basic authentication is disabled."
WRONG = b"535 5.7.3 Authentication unsuccessful [BN0PR04CA0195.namprd04.prod.outlook.com]"
IMAP_REFUSED = b"NO AUTHENTICATE failed."

PASSWORD_WORDS = ("for typos", "create an app password", "use an app password")


def _no_password_blame(help_texts) -> None:
    text = " ".join(help_texts).lower()
    for words in PASSWORD_WORDS:
        assert words not in text, text


@pytest.mark.parametrize(
    "reply,expected,fix",
    [
        (RETIRED, ("smtp_auth", "basic_auth_retired"), "Sign in with Microsoft"),
        (TENANT, ("sso_required", "smtp_auth_disabled"), "administrator"),
        (SECURITY_DEFAULTS, ("sso_required", "security_defaults"), "Sign in with Microsoft"),
        (BASIC_DISABLED, ("sso_required", "basic_auth_disabled"), "Sign in with Microsoft"),
    ],
)
def test_microsoft_refusals_have_their_own_reason_and_fix(probe_config, raw_server, reply, expected, fix):
    server = raw_server(FakeSMTP(auth=reply))
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == expected
    assert error.server_reply == reply.decode()
    help_texts = errors.help_for(*expected)
    assert fix in help_texts[0]
    _no_password_blame(help_texts)


def test_microsofts_5_7_3_is_a_wrong_password(probe_config, raw_server):
    server = raw_server(FakeSMTP(auth=WRONG))
    error, _ = smtp(probe_config, server.port)
    assert reason_of(error) == ("smtp_auth", "wrong_credentials")


def test_authenticate_failed_elsewhere_is_a_wrong_password(probe_config, raw_server):
    server = raw_server(FakeIMAP(login=IMAP_REFUSED))
    error, *_ = imap(probe_config, server.port)
    assert reason_of(error) == ("imap_auth", "wrong_credentials")


def _diagnose(monkeypatch, *args) -> dict:
    monkeypatch.setenv("MS_PW", "the-Right-password 1")
    out = io.StringIO()
    try:
        call_command("diagnose", *args, "--password-env", "MS_PW", "--json", stdout=out)
    except SystemExit as exc:
        assert exc.code == 1
    return json.loads(out.getvalue())


def test_diagnose_json_names_the_retirement_on_microsofts_own_servers(
    monkeypatch, settings, raw_server, dns_server
):
    """smtp.office365.com and outlook.office365.com, answered by the local DNS server with
    127.0.0.1, where scripted servers reply in Microsoft's words."""
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "smtp.office365.com", "outlook.office365.com"]
    for name in ("smtp.office365.com", "outlook.office365.com"):
        dns_server.add(name, "A", ["127.0.0.1"])
    smtp_fake = raw_server(FakeSMTP(auth=RETIRED))
    imap_fake = raw_server(FakeIMAP(login=IMAP_REFUSED))
    result = _diagnose(
        monkeypatch,
        "jane@contoso-retired.test",
        *("--smtp-host", "smtp.office365.com", "--smtp-port", str(smtp_fake.port), "--smtp-security", "none"),
        *(
            "--imap-host",
            "outlook.office365.com",
            "--imap-port",
            str(imap_fake.port),
            "--imap-security",
            "none",
        ),
    )
    found = {e["protocol"]: e for e in result["errors"]}
    assert (found["smtp"]["code"], found["smtp"]["reason"]) == ("smtp_auth", "basic_auth_retired")
    assert found["smtp"]["server_reply"].startswith("550 5.7.30 Basic authentication is not supported")
    # Microsoft's IMAP takes no password at all since 2022: the same retirement, not a typo.
    assert (found["imap"]["code"], found["imap"]["reason"]) == ("imap_auth", "basic_auth_retired")
    for error in found.values():
        assert "Sign in with Microsoft" in error["help"][0]
        _no_password_blame(error["help"])


def test_the_page_offers_sign_in_with_microsoft_and_no_password_retype(
    client_a, user, make_mailbox, raw_server
):
    smtp_fake = raw_server(FakeSMTP(auth=RETIRED))
    imap_fake = raw_server(FakeIMAP())
    mailbox = make_mailbox(
        user,
        email="jane@contoso-page.test",
        smtp_port=smtp_fake.port,
        smtp_security="none",
        imap_port=imap_fake.port,
        imap_security="none",
    )
    test = flows.start_test(mailbox)
    flows.execute_test(test.pk)
    assert test.errors.get().reason == "basic_auth_retired"
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "Microsoft has switched off password sign-in for mail apps" in page
    assert f'href="{reverse("sso_start", args=["microsoft"])}?mailbox={mailbox.pk}"' in page
    assert 'name="retype_password"' not in page
    assert "for typos" not in page


@pytest.mark.parametrize(
    "reply,code,reason,words",
    [
        (TENANT, "sso_required", "smtp_auth_disabled", "administrator"),
        (SECURITY_DEFAULTS, "sso_required", "security_defaults", "Sign in with Microsoft"),
        (BASIC_DISABLED, "sso_required", "basic_auth_disabled", "Sign in with Microsoft"),
        (WRONG, "smtp_auth", "wrong_credentials", "typos"),
    ],
)
def test_diagnose_json_reads_each_microsoft_reply(monkeypatch, raw_server, reply, code, reason, words):
    smtp_fake = raw_server(FakeSMTP(auth=reply))
    imap_fake = raw_server(FakeIMAP())
    result = _diagnose(
        monkeypatch,
        "jane@contoso-replies.test",
        *("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_fake.port), "--smtp-security", "none"),
        *("--imap-host", "127.0.0.1", "--imap-port", str(imap_fake.port), "--imap-security", "none"),
    )
    (error,) = result["errors"]
    assert (error["protocol"], error["code"], error["reason"]) == ("smtp", code, reason)
    assert error["server_reply"] == reply.decode()
    assert any(words in tip for tip in error["help"])
