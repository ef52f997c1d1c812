"""Under the real ASGI server (uvicorn, as `make run`): a database that cannot be opened
turns a sign-in into a 503 page with Retry-After (not a 500 whose DEBUG page lists the
POST data), and neither the page nor the log shows the password, under DEBUG too."""

import re
from http import HTTPStatus

import httpx
import pytest

from tests.conftest import spawn_web

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Never-Shown-9x"


def test_a_sign_in_while_the_database_is_unreachable_is_a_503_without_the_password(pki, tmp_path):
    # DEBUG=1, the case whose error page used to show the POST data (production needs the
    # collected static files; the in-process tests cover it).
    log = tmp_path / "web.log"
    web = spawn_web("sqlite:////nonexistent-folder/db.sqlite3", pki, log, DEBUG="1")
    try:
        with httpx.Client(base_url=web.url, timeout=60) as http:
            form = http.get("/login/").text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
            answer = http.post(
                "/login/",
                data={"csrfmiddlewaretoken": token, "username": "ann@example.test", "password": PASSWORD},
                headers={"Referer": f"{web.url}/login/"},
            )
    finally:
        web.stop()
    assert answer.status_code == HTTPStatus.SERVICE_UNAVAILABLE, answer.text[:2000]
    assert answer.headers["retry-after"] == "5"
    # The sign-in marks every field sensitive: nothing of it comes back, Back keeps it.
    assert "ann@example.test" not in answer.text and "Go back" in answer.text
    assert PASSWORD not in answer.text and PASSWORD not in web.log()
