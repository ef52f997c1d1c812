"""Small things a person notices, in Chromium: Tab on the connect form keeps the focus in
the form, the sign-up button says it is busy, the landing page says what the app does."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person(make_user, watched, app):
    user = make_user("tabby")
    sign_in(watched.page.context, app, user)
    return user


def _in_form(page) -> str:
    return page.evaluate(
        "(() => { const a = document.activeElement;"
        " if (!a || a === document.body || !a.closest('#connect-form')) return '';"
        " return a.name || a.textContent.trim() || a.id; })()"
    )


@pytest.mark.parametrize("address", ["someone@gmail.com", "me@proton.me", "x@fastmail.com", "a@example.test"])
def test_tab_after_the_address_keeps_the_focus_in_the_form(watched, person, app, address):
    page = watched.page
    page.goto(f"{app}/mailboxes/new/")
    page.focus("input[name=email]")
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    page.wait_for_timeout(1500)  # the answer for the address arrives meanwhile
    assert _in_form(page), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    page.keyboard.press("Shift+Tab")  # and back: the address, where the person came from
    assert page.evaluate("document.activeElement.name") == "email"


def test_the_sign_up_button_says_it_is_busy_until_the_next_page(watched, app):
    page = watched.page
    page.goto(f"{app}/signup/")
    page.fill("#id_email", "busy@example.test")
    page.fill("#id_password1", "a-long enough pw 42")
    page.fill("#id_password2", "a-long enough pw 42")
    # What the button says the moment it is clicked, kept across the navigation.
    page.evaluate(
        """() => {
          const button = document.querySelector("main button[type=submit]");
          new MutationObserver(() => sessionStorage.setItem("busy",
              JSON.stringify([button.getAttribute("aria-busy"), button.textContent])))
            .observe(button, {attributes: true, childList: true, characterData: true, subtree: true});
          // A second click while busy sends nothing twice.
          button.form.addEventListener("submit", e => sessionStorage.setItem("sent",
              String(Number(sessionStorage.getItem("sent") || 0) + (e.defaultPrevented ? 0 : 1))));
        }"""
    )
    page.evaluate(
        "() => { const b = document.querySelector('main button[type=submit]'); b.click(); b.click(); }"
    )
    page.wait_for_url("**/mailboxes/new/")
    assert page.evaluate("sessionStorage.getItem('busy')") == '["true","Creating your account…"]'
    assert page.evaluate("sessionStorage.getItem('sent')") == "1"


def test_the_landing_page_says_what_the_app_does_and_staff_sign_in_with_a_username(watched, app):
    page = watched.page
    page.goto(f"{app}/")
    page.wait_for_url("**/login/**")
    assert "send your email sequences, notice the replies and track opens" in page.inner_text("main")
    assert page.inner_text("label[for=id_username]").startswith("Email address or username")
    assert page.get_attribute("#id_username", "inputmode") is None  # a username is no address
