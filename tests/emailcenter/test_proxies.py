"""The client's address comes from X-Forwarded-For only when the peer is a trusted proxy:
otherwise a client on 127.0.0.1 (uvicorn's own default trust) picks its address and
slips the sign-in throttle, or makes another client's address fail for it."""

import re
from http import HTTPStatus

import httpx
import pytest
from django.urls import reverse

from emailcenter.proxies import client_address

THROTTLED = "Too many failed sign-ins"


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("127.0.0.1", "203.0.113.5", [], "127.0.0.1"),  # nobody trusted: the peer
        ("198.51.100.9", "203.0.113.5", ["127.0.0.1"], "198.51.100.9"),  # not a trusted peer
        ("127.0.0.1", "203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", ["127.0.0.1"], "203.0.113.5"),  # forged left part
        ("10.0.0.2", "203.0.113.5, 10.0.0.7", ["10.0.0.0/8"], "203.0.113.5"),  # two proxies
        ("10.0.0.2", "10.0.0.3, 10.0.0.7", ["10.0.0.0/8"], "10.0.0.2"),  # proxies only
        ("127.0.0.1", "not-an-ip", ["127.0.0.1"], "127.0.0.1"),
        ("::1", "[2001:db8::1]:4711", ["::1"], "2001:db8::1"),
        ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ],
)
def test_it_reads_the_chain_from_the_right_and_only_from_trusted_proxies(peer, forwarded, trusted, client):
    assert client_address(peer, forwarded, trusted) == client


def _fail(client, username, forwarded, peer="127.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": "wrong"},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    ).content.decode()


@pytest.mark.django_db
def test_by_default_a_forged_header_neither_escapes_the_throttle_nor_blames_another(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    assert settings.TRUSTED_PROXIES == []
    bodies = [_fail(client, user.username, f"203.0.113.{n}") for n in range(4)]
    assert THROTTLED in bodies[-1]  # one address, whatever the header said
    # The addresses it named are not blocked: they were never used.
    fine = client.post(
        reverse("login"),
        {"username": user.username, "password": "correct horse battery"},
        REMOTE_ADDR="203.0.113.1",
    )
    assert fine.status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_counter(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(4):
        attacker = _fail(client, user.username, "203.0.113.66")
    assert THROTTLED in attacker
    # Another person behind the same proxy is not locked out by the attacker...
    owner = client.post(
        reverse("login"),
        {"username": user.username, "password": "correct horse battery"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert owner.status_code == HTTPStatus.FOUND
    client.logout()
    # ...and the attacker cannot escape by writing another address in front of its own.
    assert THROTTLED in _fail(client, user.username, "198.51.100.20, 203.0.113.66")


def _sign_in_over_http(base: str, username: str, forwarded: str) -> str:
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": forwarded}, timeout=60) as http:
        form = http.get("/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        answer = http.post(
            "/login/", data={"csrfmiddlewaretoken": token, "username": username, "password": "wrong"}
        )
        return answer.text


@pytest.mark.django_db(transaction=True)
def test_the_web_server_as_make_run_starts_it_believes_no_header_by_default(
    user, test_database_url, pki, tmp_path
):
    """uvicorn itself believes X-Forwarded-For from 127.0.0.1 unless told otherwise."""
    from tests.conftest import spawn_web

    web = spawn_web(test_database_url, pki, tmp_path / "web.log", LOGIN_FAILURE_LIMIT="2")
    try:
        answers = [_sign_in_over_http(web.url, user.username, f"203.0.113.{n}") for n in range(3)]
    finally:
        web.stop()
    assert THROTTLED in answers[-1]


@pytest.mark.django_db(transaction=True)
def test_the_web_server_believes_a_trusted_proxy(user, test_database_url, pki, tmp_path):
    from tests.conftest import spawn_web

    web = spawn_web(
        test_database_url, pki, tmp_path / "web.log", LOGIN_FAILURE_LIMIT="2", TRUSTED_PROXIES="127.0.0.1"
    )
    try:
        answers = [_sign_in_over_http(web.url, user.username, f"203.0.113.{n}") for n in range(3)]
        again = [_sign_in_over_http(web.url, user.username, "203.0.113.50") for _ in range(3)]
    finally:
        web.stop()
    assert not any(THROTTLED in a for a in answers)  # three clients, one failure each
    assert THROTTLED in again[-1]
