"""Connecting a Gmail address in Chromium: Sign in with Google -> the local
authorization server's consent -> back -> live steps -> Connected, Sent. Then the
grant is revoked: the page offers Reconnect, which leads back to Connected."""

import re

import pytest
from django.utils import timezone

from mailauth.models import OAuthCredential
from tests.browser.test_flows import sign_up
from tests.mailauth import flows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_gmail_address_connects_with_google_and_reconnects_after_a_revocation(
    watched, app, settings, oauth_settings, auth_server, oauth_dovecot, oauth_smtp, on_worker
):
    smtp = oauth_smtp(security="ssl", oauth_mechanisms=("XOAUTH2",))
    flows.servers_override(settings, smtp, oauth_dovecot)
    address = oauth_dovecot.add_mailbox(
        oauth_dovecot.unique_username("person").replace("example.test", "gmail.com")
    )
    auth_server.sign_in_as(address)
    page = watched.page
    sign_up(watched, app, username="gmailperson")

    with page.expect_response(lambda r: "/provider-hint/" in r.url):
        page.fill("input[name=email]", address)
        page.keyboard.press("Tab")
    button = page.locator("a.button.sso", has_text="Sign in with Google")
    button.wait_for()
    assert page.locator("input[name=password]").count() == 0, "no password for Gmail"
    watched.shot("sign-in-button")
    button.click()
    page.wait_for_url(re.compile(r".*/mailboxes/\d+/$"))
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    assert page.locator("[data-step='imap-sent_folder']").count() == 1
    assert page.locator("[data-step='smtp-auth']").count() == 1
    watched.shot("connected")
    (token,) = auth_server.active_tokens(address)
    assert token.access_token not in page.content() and token.refresh_token not in page.content()

    # The person removes our access in their Google account; the next test says so.
    auth_server.revoke_user(address)
    OAuthCredential.objects.update(expires_at=timezone.now())
    page.click("text=Test again")
    # Both protocols refused the token the same way: one report, the reason code in the details.
    page.wait_for_selector("article.error-report[data-code~='smtp_auth']")
    report = page.locator("article.error-report[data-code~='smtp_auth']")
    assert "token_revoked" in page.locator("#test-status details.technical").text_content()
    watched.shot("revoked")
    report.locator("a.reconnect", has_text="Reconnect with Google").click()
    page.wait_for_url(re.compile(r".*/mailboxes/\d+/$"))
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    watched.shot("reconnected")
