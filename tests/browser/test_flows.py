"""What a person sees: real Chromium, the live app, a real Celery worker, real servers."""

import re

import pytest

from tests.browser.disclosure import open_settings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Brows3r-Pässword"


def sign_up(watched, app, username="person"):
    """Sign up as <username>@example.test (the address is the login) and return it."""
    page = watched.page
    email = username if "@" in username else f"{username}@example.test"
    page.goto(f"{app}/signup/")
    page.fill("#id_email", email)
    page.fill("#id_password1", "a-long enough pw 42")
    page.fill("#id_password2", "a-long enough pw 42")
    watched.shot("signup")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/mailboxes/new/$"))
    return email


def fill_connect_form(
    page, email, smtp_port, smtp_security, imap_port, imap_security="ssl", password=PASSWORD
):
    with page.expect_response(lambda r: "/provider-hint/" in r.url):
        page.fill("input[name=email]", email)
        page.keyboard.press("Tab")
    page.wait_for_selector("#details input[name=smtp_host]", state="attached")
    page.wait_for_timeout(100)  # let htmx settle the swap
    page.fill("input[name=password]", password)
    open_settings(page)
    page.fill("input[name=smtp_host]", "127.0.0.1")
    page.fill("input[name=smtp_port]", str(smtp_port))
    page.select_option("select[name=smtp_security]", smtp_security)
    page.fill("input[name=imap_host]", "127.0.0.1")
    page.fill("input[name=imap_port]", str(imap_port))
    page.select_option("select[name=imap_security]", imap_security)


def test_sign_up_and_connect_a_good_mailbox(watched, app, celery_worker, dovecot, smtp_server):
    name = dovecot.unique_username("browser")
    dovecot.add_user(name, PASSWORD, folders=["Sent", "Drafts"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    page = watched.page
    sign_up(watched, app)
    fill_connect_form(page, name, smtp.port, "starttls", dovecot.port_ssl)
    watched.shot("form")
    page.click("text=Connect and test")
    # Steps appear as they happen (under "Technical details", folded for people).
    page.wait_for_selector("[data-step='smtp-dns'], [data-step='imap-dns']", state="attached")
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    assert page.locator("[data-step='imap-sent_folder']").count() == 1
    watched.shot("connected")
    assert PASSWORD not in page.content()


def test_a_wrong_imap_password_shows_the_error_and_its_help(
    watched, app, celery_worker, dovecot, smtp_server
):
    name = dovecot.unique_username("browserbad")
    dovecot.add_user(name, "the-real-password", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    page = watched.page
    sign_up(watched, app)
    fill_connect_form(page, name, smtp.port, "starttls", dovecot.port_ssl)
    page.click("text=Connect and test")
    page.wait_for_selector(".badge.failed")
    report = page.locator("article.error-report[data-code~='imap_auth']")
    assert "The IMAP server refused to log in" in page.inner_text("#result-heading")
    assert "IMAP access is switched on" in report.inner_text()
    assert report.locator("input[name=retype_password]").count() == 1
    # The catalogue's title and the server's own words, under "Technical details".
    details = page.locator("#test-status details.technical").text_content()
    assert "IMAP authentication error" in details and "AUTHENTICATIONFAILED" in details
    watched.shot("imap-auth-error")


def test_ssl_on_a_starttls_port_is_fixed_with_one_click(watched, app, celery_worker, dovecot, smtp_server):
    name = dovecot.unique_username("browserfix")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    page = watched.page
    sign_up(watched, app)
    fill_connect_form(page, name, smtp.port, "ssl", dovecot.port_ssl)
    page.click("text=Connect and test")
    page.wait_for_selector("text=Apply and test again")
    assert f"Port {smtp.port} expects STARTTLS, not SSL/TLS." in page.inner_text("form.suggestion")
    watched.shot("suggestion")
    page.click("text=Apply and test again")
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    watched.shot("fixed")


@pytest.mark.parametrize(
    "email,expected,absent",
    [
        ("someone@gmail.com", "Sign in with Google", "input[name=password]"),
        ("someone@proton.me", "cannot be connected", "input[name=password]"),
    ],
)
def test_gmail_goes_to_sso_and_proton_is_refused(watched, app, oauth_clients, email, expected, absent):
    page = watched.page
    sign_up(watched, app, username="policy")
    page.fill("input[name=email]", email)
    page.keyboard.press("Tab")
    page.wait_for_selector(f"text={expected}")
    assert page.locator(absent).count() == 0
    watched.shot(email.split("@")[1])
