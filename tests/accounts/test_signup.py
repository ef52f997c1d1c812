"""Sign-up by email, sign-in by email (any case) or by an older account's username, the
start page per role, and the password reset over email (Django's views, our wording)."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.roles import ADMIN, SUPPORT, grant

pytestmark = pytest.mark.django_db

PASSWORD = "a-long enough pw 42"


def _sign_up(client, email, password=PASSWORD, again=None):
    return client.post(
        reverse("signup"), {"email": email, "password1": password, "password2": again or password}
    )


def test_it_signs_up_with_an_email_address_that_becomes_the_login(client):
    response = _sign_up(client, "  Dora@Example.TEST ")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == reverse("mailbox_new")
    user = get_user_model().objects.get()
    assert user.username == user.email == "dora@example.test"
    client.logout()
    for typed in ("dora@example.test", "DORA@example.test", " dora@example.test"):
        assert client.login(username=typed, password=PASSWORD), typed


def test_the_form_asks_for_an_address_not_a_username_and_lists_no_rules_up_front(client):
    body = client.get(reverse("signup")).content.decode()
    assert 'name="email"' in body and 'name="username"' not in body
    assert "Required. 150 characters or fewer" not in body  # Django's stock username help
    assert "Your password can’t be too similar" not in body  # the rules appear as one types
    assert "data-password-hints" in body and 'data-min-length="8"' in body and "js/password-hints.js" in body


@pytest.mark.parametrize(
    "email,password,message",
    [
        ("not-an-address", PASSWORD, "Enter a valid email address"),
        ("taken@example.test", PASSWORD, "An account with this address already exists"),
        ("TAKEN@example.test", PASSWORD, "An account with this address already exists"),
        ("new@example.test", "short", "This password is too short"),
        ("new@example.test", "12345678901", "This password is entirely numeric"),
        ("new@example.test", "password123", "This password is too common"),
        ("newcomer@example.test", "newcomer@example", "too similar"),
        (f"{'x' * 140}@example.test", PASSWORD, "at most 150 characters"),
    ],
)
def test_it_refuses_bad_sign_ups_with_a_clear_message(client, make_user, email, password, message):
    make_user("taken@example.test")
    response = _sign_up(client, email, password)
    assert response.status_code == HTTPStatus.OK and message in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_older_accounts_still_sign_in_with_their_username_or_their_email(client, make_user):
    old = make_user("oldtimer", PASSWORD)
    old.email = "Old.Timer@Example.test"
    old.save()
    assert client.login(username="oldtimer", password=PASSWORD)
    client.logout()
    assert client.login(username="old.timer@example.test", password=PASSWORD)
    client.logout()
    assert not client.login(username="oldtimer", password="wrong")


def test_two_accounts_sharing_an_email_sign_in_by_username_only(client, make_user):
    for name in ("twin1", "twin2"):
        twin = make_user(name, PASSWORD)
        twin.email = "twins@example.test"
        twin.save()
    assert not client.login(username="twins@example.test", password=PASSWORD)
    assert client.login(username="twin2", password=PASSWORD)


def test_a_wrong_password_names_what_to_check(client, make_user):
    make_user("kim@example.test")
    response = client.post(reverse("login"), {"username": "kim@example.test", "password": "nope"})
    body = response.content.decode()
    assert "This email address (or username) and password do not match an account" in body
    assert reverse("password_reset") in body


@pytest.mark.parametrize(
    "role,landing", [(None, "mailbox_list"), (SUPPORT, "support_queue"), (ADMIN, "review_list")]
)
def test_people_land_on_their_work_after_login(client, make_user, role, landing):
    person = make_user("someone", PASSWORD)
    if role:
        grant(person, role)
    response = client.post(reverse("login"), {"username": "someone", "password": PASSWORD})
    assert response["Location"] == reverse(landing)
    page = client.get(reverse("mailbox_list")).content.decode()
    assert (reverse("mailbox_new") in page.split("</header>")[0]) is (role is None)  # agents: no "Connect"


def test_a_next_url_still_wins_over_the_landing_page(client, make_user):
    grant(make_user("sam", PASSWORD), SUPPORT)
    response = client.post(
        reverse("login") + "?next=/support/", {"username": "sam", "password": PASSWORD, "next": "/support/"}
    )
    assert response["Location"] == "/support/"


def test_the_password_reset_emails_a_link_that_sets_a_new_password(client, make_user, mailoutbox):
    person = make_user("lee@example.test", PASSWORD)
    person.email = "lee@example.test"
    person.save()
    response = client.post(reverse("password_reset"), {"email": "LEE@example.test"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lee@example.test"]
    assert mailoutbox[0].subject == "Choose a new password for the Email Account Center"
    link = re.search(r"http://testserver(/password-reset/\S+/\S+/)", mailoutbox[0].body)[1]
    form_url = client.get(link)["Location"]  # Django moves the token into the session
    assert "choose a new password" in client.get(form_url).content.decode().lower()
    new = "brand new pass 99"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("password_reset_complete")
    assert client.login(username="lee@example.test", password=new)


def test_the_reset_page_says_nothing_about_unknown_addresses_and_brakes_floods(client, make_user, mailoutbox):
    person = make_user("flood@example.test", PASSWORD)
    person.email = "flood@example.test"
    person.save()
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert unknown["Location"] == reverse("password_reset_done") and not mailoutbox
    for _ in range(5):
        response = client.post(reverse("password_reset"), {"email": "flood@example.test"})
        assert response["Location"] == reverse("password_reset_done")  # the same answer every time
    assert len(mailoutbox) == 3  # at most three emails an hour for one address


def test_a_used_or_broken_reset_link_offers_a_new_one(client):
    body = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"])).content.decode()
    assert "This link no longer works" in body and reverse("password_reset") in body
