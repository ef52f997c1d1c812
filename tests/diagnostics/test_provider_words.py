"""Other providers' refusals in their exact words, replayed by scripted servers on
127.0.0.1, each explained with the provider's own step: Zoho's and GMX/WEB.DE's IMAP
switched off, Yahoo's app password, iCloud's app-specific password."""

import pytest

from diagnostics.net.advice import Failure, tips
from diagnostics.net.directory import by_id
from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP
from tests.diagnostics.net.test_reasons import imap, reason_of, smtp

ZOHO_IMAP_OFF = (
    b"NO [ALERT] You are yet to enable IMAP for your account. Please contact your administrator (Failure)"
)
# GMX and WEB.DE answer a login while "POP3/IMAP" is switched off (which covers SMTP too)
# exactly as a wrong password: the provider's switch must be named anyway.
GMX_IMAP = b"NO authentication failed"
GMX_SMTP = b"535 Authentication credentials invalid"
YAHOO_SMTP = b"535 5.7.0 (#AUTH005) Too many bad auth attempts."
YAHOO_IMAP = b"NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials"
ICLOUD_IMAP = b"NO [AUTHENTICATIONFAILED] Authentication failed"


def _failure(error, protocol) -> Failure:
    return Failure(error.code, error.reason, protocol)


def test_zohos_imap_switched_off(probe_config, raw_server):
    error, *_ = imap(probe_config, raw_server(FakeIMAP(login=ZOHO_IMAP_OFF)).port)
    assert reason_of(error) == ("imap_auth", "imap_disabled")
    first = tips([_failure(error, "imap")], by_id("zoho"))[0]
    assert "Zoho Mail ships with IMAP access switched off" in first.text
    assert first.url.startswith("https://www.zoho.com/mail/help/imap-access")


@pytest.mark.parametrize("provider_id,name", [("gmx", "GMX"), ("webde", "WEB.DE")])
def test_gmx_and_webde_name_their_switch_even_when_both_protocols_refuse(
    probe_config, raw_server, provider_id, name
):
    imap_error, *_ = imap(probe_config, raw_server(FakeIMAP(login=GMX_IMAP)).port)
    smtp_error, _ = smtp(probe_config, raw_server(FakeSMTP(auth=GMX_SMTP)).port)
    assert reason_of(imap_error) == ("imap_auth", "wrong_credentials")
    assert reason_of(smtp_error) == ("smtp_auth", "wrong_credentials")
    found = tips([_failure(smtp_error, "smtp"), _failure(imap_error, "imap")], by_id(provider_id))
    assert f"{name} ships with IMAP access switched off" in found[0].text
    assert "pop-imap/einschalten" in found[0].url


def test_yahoos_too_many_bad_auth_attempts_means_an_app_password(probe_config, raw_server):
    error, _ = smtp(probe_config, raw_server(FakeSMTP(auth=YAHOO_SMTP)).port)
    # Not a busy server to retry (that would lock the account): an app password.
    assert reason_of(error) == ("smtp_auth", "app_password_required")
    first = tips([_failure(error, "smtp")], by_id("yahoo"))[0]
    assert "Yahoo Mail takes only an app password" in first.text and "SLN15241" in first.url
    imap_error, *_ = imap(probe_config, raw_server(FakeIMAP(login=YAHOO_IMAP)).port)
    assert reason_of(imap_error) == ("imap_auth", "wrong_credentials")
    assert "app password" in tips([_failure(imap_error, "imap")], by_id("yahoo"))[0].text


def test_icloud_needs_an_app_specific_password(probe_config, raw_server):
    error, *_ = imap(probe_config, raw_server(FakeIMAP(login=ICLOUD_IMAP)).port)
    assert reason_of(error) == ("imap_auth", "wrong_credentials")
    first = tips([_failure(error, "imap")], by_id("icloud"))[0]
    assert "app password" in first.text and first.url == "https://support.apple.com/102654"
