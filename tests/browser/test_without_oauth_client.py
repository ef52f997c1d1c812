"""No OAuth client for Google or Microsoft, as an end user sees it in Chromium: no
configuration names anywhere, and a way forward. Gmail's app-password path ends
Connected against local servers standing in for Google's; Microsoft's ends with a
support request filled in with the address and the reason."""

import re

import pytest

from support.models import SupportRequest
from tests.browser.test_flows import sign_up
from tests.mailauth import flows as oauth_flows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

APP_PASSWORD = "abcdefghijklmnop"
CONFIG_WORDS = ("GOOGLE_OAUTH", "MICROSOFT_OAUTH", "README", "CLIENT_ID", "CLIENT_SECRET")


@pytest.fixture
def no_clients(settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    settings.MICROSOFT_OAUTH_CLIENT_ID = settings.MICROSOFT_OAUTH_CLIENT_SECRET = ""


def _no_configuration_names(page) -> None:
    text = page.content()
    for words in CONFIG_WORDS:
        assert words not in text, words


def test_gmail_without_a_google_client_connects_with_an_app_password(
    watched, app, settings, no_clients, celery_worker, dovecot, smtp_server
):
    address = dovecot.unique_username("gapp").replace("example.test", "gmail.com")
    dovecot.add_user(address, APP_PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="ssl", users={address: APP_PASSWORD})
    oauth_flows.servers_override(settings, smtp, dovecot)  # Google's servers, on loopback
    page = watched.page
    sign_up(watched, app, username="gmailapp")

    # Before any click, the panel says which path applies.
    with page.expect_response(lambda r: "/provider-hint/" in r.url):
        page.fill("input[name=email]", address)
        page.keyboard.press("Tab")
    page.wait_for_selector(".sso-path[data-path='app_password']")
    assert page.locator("a[href='https://myaccount.google.com/apppasswords']").count() == 1
    _no_configuration_names(page)
    watched.shot("panel")

    # The page a "Sign in with Google" link leads to, from a mailbox list or a bookmark.
    page.goto(f"{app}/connect/sso/google/?email={address}")
    _no_configuration_names(page)
    assert page.locator("text=2-Step Verification").count() >= 1
    watched.shot("app-password-steps")
    page.click("#app-password-path")
    page.wait_for_url(re.compile(r".*/mailboxes/new/\?email=.*"))
    assert page.inner_text("label[for=id_password]").startswith("App password")
    assert page.input_value("input[name=email]") == address
    assert page.input_value("input[name=imap_host]") == "127.0.0.1"  # Google's servers, filled in
    assert page.input_value("input[name=smtp_port]") == str(smtp.port)
    page.fill("input[name=password]", "abcd efgh ijkl mnop")  # as Google shows it
    watched.shot("form")
    page.click("text=Connect and test")
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    watched.shot("connected")
    assert APP_PASSWORD not in page.content()


def test_microsoft_without_a_client_says_so_and_sends_a_support_request(watched, app, no_clients):
    page = watched.page
    sign_up(watched, app, username="outlookperson")
    with page.expect_response(lambda r: "/provider-hint/" in r.url):
        page.fill("input[name=email]", "jane@outlook.com")
        page.keyboard.press("Tab")
    page.wait_for_selector(".sso-path[data-path='request']")
    assert "has not enabled it yet" in page.inner_text("#provider-panel")
    assert page.locator("input[name=password]").count() == 0
    _no_configuration_names(page)
    watched.shot("panel")

    page.click("a.sso-request")
    page.wait_for_selector("#sign-in-request")
    _no_configuration_names(page)
    assert page.input_value("#request-email") == "jane@outlook.com"
    assert "jane@outlook.com" in page.input_value("#request-message")
    assert "What happens next" in page.inner_text("#oauth-not-configured")
    watched.shot("request-form")
    page.click("text=Send the request to support")
    page.wait_for_url(re.compile(r".*/support/\d+/$"))
    assert "Support has your request" in page.content()
    request = SupportRequest.objects.get()
    assert (request.email, request.provider_id, request.errors[0]["reason"]) == (
        "jane@outlook.com",
        "microsoft",
        "oauth_not_configured",
    )
    watched.shot("sent")
