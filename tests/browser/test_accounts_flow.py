"""Sign up with an email address (the password's rules appear as one types), forget the
password, reset it from the emailed link (Django's outbox: the live server runs in this
process), and log in with the new one, typed in another case."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.browser.a11y import check_page

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "a-long enough pw 42"
SECOND = "another long pass 77"


def test_sign_up_by_email_then_reset_the_password_over_email(watched, app, mailoutbox):
    page = watched.page
    page.goto(f"{app}/signup/")
    assert page.locator("#id_username").count() == 0  # the address is the login
    assert not page.locator("#password-hints").is_visible()  # no list of rules up front
    page.fill("#id_email", "Robin@Example.test")
    page.fill("#id_password1", "robin123")
    hints = page.locator("#password-hints")
    assert hints.is_visible()
    unmet = [" ".join(t.split()) for t in hints.locator("li:not(.met)").all_inner_texts()]
    assert unmet == ["Not like your email address (not yet)"]
    page.fill("#id_password1", FIRST)
    assert hints.locator("li:not(.met)").count() == 0
    page.fill("#id_password2", FIRST)
    check_page(page, "ux-signup-typing", widths=(390,))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/mailboxes/new/$"))
    user = get_user_model().objects.get()
    assert user.username == user.email == "robin@example.test"

    page.click("header button:has-text('Log out')")
    page.wait_for_url(re.compile(r".*/login/$"))
    page.click("text=Forgot your password?")
    page.fill("#id_email", "robin@example.test")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/password-reset/sent/$"))
    assert "Check your email" in page.inner_text("main")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["robin@example.test"]
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mailoutbox[0].body)[0]

    page.goto(link)
    page.wait_for_selector("#id_new_password1")
    check_page(page, "ux-password-reset-confirm")
    page.fill("#id_new_password1", SECOND)
    page.fill("#id_new_password2", SECOND)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/password-reset/done/$"))
    page.goto(link)  # a used link says so and offers a new one
    assert "This link no longer works" in page.inner_text("main")

    page.goto(f"{app}/login/")
    page.fill("#id_username", "ROBIN@example.test")
    page.fill("#id_password", SECOND)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{app}/")
    assert "Log out (robin@example.test)" in page.inner_text("header")


def test_a_wrong_password_says_what_to_check(watched, app, make_user):
    make_user("kim@example.test")
    page = watched.page
    page.goto(f"{app}/login/")
    page.fill("#id_username", "kim@example.test")
    page.fill("#id_password", "not it")
    page.click("main button[type=submit]")
    page.wait_for_selector("main .error")
    assert "reset your password" in page.inner_text("main .error")
    check_page(page, "ux-login-error")
