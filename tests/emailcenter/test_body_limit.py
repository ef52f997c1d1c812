"""A web process refuses a request body past WEB_MAX_BODY_BYTES as it arrives (413),
whether its length is declared or not, and serves smaller ones as before."""

from http import HTTPStatus

import httpx
import pytest

from tests.conftest import spawn_web

pytestmark = pytest.mark.django_db(transaction=True)
CAP = 100_000


@pytest.fixture
def web(test_database_url, pki, tmp_path):
    process = spawn_web(test_database_url, pki, tmp_path / "web.log", WEB_MAX_BODY_BYTES=str(CAP))
    yield process
    process.stop()


def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(web):
    answer = httpx.post(f"{web.url}/login/", content=b"x" * (CAP + 1), timeout=60)
    assert answer.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert "too large" in answer.text


def test_a_chunked_body_that_grows_past_the_cap_is_cut_off(web):
    sent = 0

    def endless():
        nonlocal sent
        for _ in range(1000):  # 16 MB if nobody stops it
            sent += 16_384
            yield b"y" * 16_384

    try:
        answer = httpx.post(f"{web.url}/login/", content=endless(), timeout=30)
    except httpx.HTTPError:
        return  # the server closed the connection on the rest of the body: also refused
    assert answer.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_body_under_the_cap_reaches_the_view(web):
    answer = httpx.post(f"{web.url}/login/", data={"username": "x", "password": "y" * 1000}, timeout=60)
    assert answer.status_code == HTTPStatus.FORBIDDEN  # the view's CSRF check, not the cap
