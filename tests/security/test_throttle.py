from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_throttles_sign_in_after_repeated_failures(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert "Please enter a correct" in response.content.decode()
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
            reverse("signup"), {"username": f"new{i}", "password1": "pw-long-enough-42", "password2": "x"}
        )
    response = client.post(
        reverse("signup"),
        {"username": "new9", "password1": "pw-long-enough-42", "password2": "pw-long-enough-42"},
    )
    assert "Too many sign-ups" in response.content.decode()
    from django.contrib.auth.models import User

    assert not User.objects.filter(username="new9").exists()
