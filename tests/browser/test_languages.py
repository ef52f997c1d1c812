"""A person whose browser asks for German, French or Spanish: sign up, connect a mailbox
with a wrong IMAP password, read what went wrong and what to do in that language with the
server's reply exactly as the server said it, then fix it and see the verdict. Real
Chromium (its locale sets Accept-Language), the live app, a real worker, Dovecot and an
SMTP server on 127.0.0.1.

Every check is a plain assertion: a word left in English fails the test.
"""

import re

import pytest
from django.utils import translation

from diagnostics.models import TestError
from diagnostics.net import errors, reasons
from tests.browser.a11y import overflow
from tests.browser.conftest import Watched
from tests.browser.test_flows import fill_connect_form
from tests.languages.catalogues import compile_all

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Brows3r-Pässword"
TYPO = "Pässword-with-a-typo"
LOCALES = {"de": "de-DE", "fr": "fr-FR", "es": "es-ES"}


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    compile_all()


@pytest.fixture
def speaking(browser, request):
    """A browser whose locale (and so Accept-Language) is the test's language."""
    language = request.param
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale=LOCALES[language])
    page = context.new_page()
    page.set_default_timeout(20_000)
    watched = Watched(page, f"language-{language}")
    yield language, watched
    context.close()
    assert not watched.problems, "\n".join(watched.problems)


def _say(language: str, text: str) -> str:
    with translation.override(language):
        said = translation.gettext(text)
    assert said != text, f"no {language} translation for {text!r}"
    return said


@pytest.mark.parametrize("speaking", list(LOCALES), indirect=True)
def test_a_person_reads_the_failure_and_fixes_it_in_their_language(
    speaking, app, celery_worker, dovecot, smtp_server
):
    language, watched = speaking
    page = watched.page
    name = dovecot.unique_username(f"lang{language}")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    # The SMTP server takes the typo: only IMAP refuses it.
    smtp = smtp_server(security="starttls", users={name: TYPO})

    page.goto(f"{app}/signup/")
    assert page.get_attribute("html", "lang") == language
    assert page.inner_text("main h1") == _say(language, "Create your account")
    assert page.inner_text("header nav").count(_say(language, "Log in")) == 1
    page.set_viewport_size({"width": 390, "height": 900})
    assert overflow(page) <= 0, "the sign-up page is wider than a 390 px phone"
    page.set_viewport_size({"width": 1200, "height": 900})
    page.fill("#id_email", f"person-{language}@example.test")
    page.fill("#id_password1", "a-long enough pw 42")
    page.fill("#id_password2", "a-long enough pw 42")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/mailboxes/new/$"))
    assert page.get_attribute("html", "lang") == language

    fill_connect_form(page, name, smtp.port, "starttls", dovecot.port_ssl, password=TYPO)
    page.click("main form button.primary[type=submit]")
    page.wait_for_selector(".badge.failed")
    watched.shot("failed")
    status = page.locator("#test-status")

    # The server's own words, verbatim, whatever the language.
    error = TestError.objects.get(code=errors.IMAP_AUTH, test__mailbox__email=name)
    assert "AUTHENTICATIONFAILED" in error.server_reply
    assert error.server_reply in page.locator("#test-status details.technical").text_content()

    final_pass = []

    def expect(what: str, ok: bool) -> None:
        if not ok:
            final_pass.append(what)

    shown = status.inner_text()
    expect("the problem's advice (a tip from the catalogue)", _say(language, reasons.TYPO_TIP) in shown)
    expect("the error's title", _say(language, errors.kind(errors.IMAP_AUTH).title) in page.content())
    expect("no English explanation", "refused to log in" not in shown and "What to try" not in shown)
    expect("the 390 px result page", _fits(page))

    # Fixed on the server's side too (the real password, now for both), typed once more.
    smtp.users[name] = PASSWORD
    page.fill("input[name=retype_password]", PASSWORD)
    page.click("#test-status form.retype button[type=submit]")
    page.wait_for_selector(".badge.connected")
    watched.shot("connected")
    assert page.inner_text(".sent-folder") == "Sent"
    assert PASSWORD not in page.content() and TYPO not in page.content()
    verdict = page.inner_text("#test-status")
    expect("the verdict", "Sending and receiving work" not in verdict and "Connected" not in verdict)

    assert not final_pass, final_pass


def _fits(page) -> bool:
    page.set_viewport_size({"width": 390, "height": 900})
    try:
        page.wait_for_timeout(100)  # let the layout settle at the new width
        return overflow(page) <= 0
    finally:
        page.set_viewport_size({"width": 1200, "height": 900})


# The pages wrapped so far (the others join this list in the final pass). German runs longest.
SIGNED_OUT_PAGES = ["/login/", "/signup/", "/password-reset/", "/password-reset/sent/"]
SIGNED_IN_PAGES = ["/support/", "/settings/alerts/", "/imports/"]


@pytest.mark.parametrize("speaking", ["de"], indirect=True)
def test_the_translated_pages_fit_a_390_px_phone_in_german(speaking, app, make_user):
    from django.conf import settings as django_settings
    from django.test import Client

    _, watched = speaking
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 900})
    too_wide = []

    def visit(path: str) -> None:
        page.goto(f"{app}{path}")
        assert page.get_attribute("html", "lang") == "de", path
        page.wait_for_timeout(100)  # fonts and layout
        if overflow(page) > 0:
            too_wide.append(f"{path} ({overflow(page)} px)")
        watched.shot("390-" + path.strip("/").replace("/", "-"))

    for path in SIGNED_OUT_PAGES:
        visit(path)
    client = Client()
    client.force_login(make_user("wide@example.test"))
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": app}])
    for path in SIGNED_IN_PAGES:
        visit(path)
    # The menu folds behind its button at this width; opened, its German links still fit.
    page.click("[data-menu-button]")
    assert overflow(page) <= 0 and page.is_visible("text=Postfach verbinden")
    assert not too_wide, too_wide
