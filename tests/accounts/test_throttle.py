from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _refused(response) -> bool:
    """A wrong password: the form again, with its error, and not yet the throttle."""
    body = response.content.decode()
    return response.status_code == HTTPStatus.OK and "Too many failed sign-ins" not in body


def test_it_throttles_sign_in_after_repeated_failures(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert _refused(response)
    response = client.post(reverse("login"), {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == HTTPStatus.OK  # refused even with the right password
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_sign_in_below_the_limit_works(client, user):
    client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == HTTPStatus.FOUND


def test_it_throttles_sign_ups_per_address(client, settings):
    settings.SIGNUP_RATE_PER_IP = 2
    for i in range(2):
        client.post(
            reverse("signup"),
            {"email": f"new{i}@example.test", "password1": "pw-long-enough-42", "password2": "x"},
        )
    response = client.post(
        reverse("signup"),
        {"email": "new9@example.test", "password1": "pw-long-enough-42", "password2": "pw-long-enough-42"},
    )
    assert "Too many sign-ups" in response.content.decode()
    from django.contrib.auth.models import User

    assert not User.objects.filter(username="new9@example.test").exists()


def _sign_in(client, username, password, address):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_stranger_failing_six_times_does_not_lock_the_name_from_another_address(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(6):
        stranger = _sign_in(client, user.username, "guess", "203.0.113.7")
    assert "Too many failed sign-ins" in stranger.content.decode()
    assert (
        "Too many failed sign-ins"
        in _sign_in(client, user.username, "correct horse battery", "203.0.113.7").content.decode()
    )
    owner = _sign_in(client, user.username, "correct horse battery", "198.51.100.20")
    assert owner.status_code == HTTPStatus.FOUND and client.session["_auth_user_id"] == str(user.pk)


def test_one_address_trying_many_names_is_throttled(client, make_user, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    victim = make_user("victim")
    for i in range(2 * 4):  # a few names per address are allowed, not a list of them
        assert _refused(_sign_in(client, f"name{i}", "guess", "203.0.113.8"))
    refused = _sign_in(client, victim.username, "correct horse battery", "203.0.113.8")
    assert "Too many failed sign-ins" in refused.content.decode()
    assert (
        _sign_in(client, victim.username, "correct horse battery", "203.0.113.9").status_code
        == HTTPStatus.FOUND
    )


def test_a_good_sign_in_forgets_earlier_typos_from_that_address(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        _sign_in(client, user.username, "typo", "198.51.100.30")
    assert (
        _sign_in(client, user.username, "correct horse battery", "198.51.100.30").status_code
        == HTTPStatus.FOUND
    )
    client.logout()
    for _ in range(2):
        _sign_in(client, user.username, "typo", "198.51.100.30")
    assert (
        _sign_in(client, user.username, "correct horse battery", "198.51.100.30").status_code
        == HTTPStatus.FOUND
    )
