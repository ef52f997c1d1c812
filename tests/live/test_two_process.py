"""Live status across processes, as deployed: a real uvicorn web process (ASGI) and the
real Celery worker, on the test database, sharing nothing but what the app shares (the
event table on the default tier, Redis with REDIS_URL)."""

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import httpx
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse

from diagnostics import flows
from diagnostics.models import ConnectionTest
from live.publish import publish
from tests.conftest import spawn_web
from tests.live.pages import closes_stream, refresh_url, stream_url
from tests.live.slow import delayed_proxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Live-Push-Pässword 7"
HEARTBEAT = 0.3
LIFETIME = 5.0


@pytest.fixture(scope="module")
def web(test_database_url, pki, tmp_path_factory):
    server = spawn_web(
        test_database_url,
        pki,
        tmp_path_factory.mktemp("web") / "web.log",
        LIVE_HEARTBEAT_SECONDS=str(HEARTBEAT),
        LIVE_STREAM_MAX_SECONDS=str(LIFETIME),
    )
    yield server
    server.stop()


def _cookie(client, user) -> dict:
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


class EventStream:
    """An EventSource, roughly: reads events, reconnects when the server ends the stream."""

    def __init__(self, url: str, cookies: dict):
        self.url = url
        self.http = httpx.Client(cookies=cookies, timeout=httpx.Timeout(10.0))
        self.connects = 0
        self._lines = None
        self._response = None
        self.data = ""

    def _connect(self):
        self._response = self.http.send(self.http.build_request("GET", self.url), stream=True)
        assert self._response.status_code == HTTPStatus.OK, self._response.read()
        self._lines = self._response.iter_lines()
        self.connects += 1

    def next(self) -> tuple[str, str]:
        """("event", name) once the event is complete (its data in `.data`), ("comment",
        text), or ("retry", ms), reconnecting as needed."""
        event, data = None, []
        while True:
            if self._lines is None:
                self._connect()
            try:
                line = next(self._lines)
            except (StopIteration, httpx.RemoteProtocolError):
                self._response.close()
                self._lines = None
                event, data = None, []
                continue
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data.append(line.removeprefix("data: "))
            elif not line and event is not None:
                self.data = "\n".join(data)
                return "event", event
            elif line.startswith(":"):
                return "comment", line[1:].strip()
            elif line.startswith("retry: "):
                return "retry", line.removeprefix("retry: ")

    def close(self):
        if self._response is not None:
            self._response.close()
        self.http.close()


@pytest.fixture
def slow_mailbox(user, make_mailbox, smtp_server, raw_server, dovecot):
    """The user's mailbox whose SMTP server answers after 1 s: its test keeps running
    while IMAP's steps are written."""
    name = dovecot.unique_username("live")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    slow_smtp = delayed_proxy(raw_server, smtp.port, delay=1.0)
    return make_mailbox(
        user, email=name, password=PASSWORD, smtp_port=slow_smtp.port, imap_port=dovecot.port_ssl
    )


def _assert_pushed_result(web, bodies: list[str], test: ConnectionTest, arrived: float) -> str:
    """The last partial shows the result with every step once, steps showed before it,
    and it came within a second of the worker finishing."""
    final = bodies[-1]
    assert closes_stream(final), f"never final:\n{final}\n{web.log()[-2000:]}"
    assert "Connected" in final and 'class="sent-folder">Sent<' in final
    test.refresh_from_db()
    assert test.status == "connected"
    assert any('data-step="imap-login"' in b and "Connected" not in b for b in bodies)
    assert arrived - test.finished_at.timestamp() < 1.0
    steps = [f"{s.protocol}-{s.name}" for s in test.steps.all()]
    shown = [chunk.split('"')[0] for chunk in final.split('data-step="')[1:]]
    assert sorted(shown) == sorted(steps) and len(shown) == len(set(shown))
    return final


def test_a_tests_steps_and_result_are_pushed_from_the_worker_to_the_page(
    web, celery_worker, client, user, slow_mailbox
):
    mailbox = slow_mailbox
    cookies = _cookie(client, user)
    test = flows.start_test(mailbox)

    page = httpx.get(f"{web.url}{reverse('mailbox_detail', args=[mailbox.pk])}", cookies=cookies).text
    partial_url = f"{web.url}{refresh_url(page)}"
    stream = EventStream(f"{web.url}{reverse('live_stream')}?topics=test-{test.pk}", cookies)
    events, bodies = 0, []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kind, value = stream.next()
            if kind != "event":
                continue
            assert value == f"test-{test.pk}"
            events += 1
            arrived = time.time()
            # What the page does on each event: re-fetch its partial.
            bodies.append(httpx.get(partial_url, cookies=cookies, headers={"HX-Request": "true"}).text)
            if closes_stream(bodies[-1]):
                break
    finally:
        stream.close()
    # Pushed, not only caught up.
    _assert_pushed_result(web, bodies, test, arrived)
    assert events >= 3


def test_the_pages_own_stream_brings_each_partial_and_the_page_fetches_nothing(
    web, celery_worker, client, user, slow_mailbox
):
    """As deployed (live/asgi.py in front of Django): the stream asks Django for the
    page's partial on each change and sends it in an `html` event (live/partial.py)."""
    mailbox = slow_mailbox
    cookies = _cookie(client, user)
    test = flows.start_test(mailbox)
    with httpx.Client(cookies=cookies) as browser:  # keeps the CSRF cookie, as a browser does
        page = browser.get(f"{web.url}{reverse('mailbox_detail', args=[mailbox.pk])}").text
        cookies = dict(browser.cookies)
    partial_fetch = f'"GET {reverse("mailbox_status", args=[mailbox.pk])}'
    assert partial_fetch not in web.log()
    stream = EventStream(f"{web.url}{stream_url(page)}", cookies)
    bodies = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kind, value = stream.next()
            if kind == "event":
                assert value == "html", stream.data
                bodies.append(stream.data)
                arrived = time.time()
                if closes_stream(bodies[-1]):
                    break
    finally:
        stream.close()
    final = _assert_pushed_result(web, bodies, test, arrived)
    assert stream.connects == 1
    # The forms in it carry a token of the page's own CSRF cookie.
    token = cookies[settings.CSRF_COOKIE_NAME]
    values = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', final)
    assert values and all(_unmask_cipher_token(v) == token for v in values)
    # Nothing fetched the partial over HTTP: the server logged no request for it.
    assert partial_fetch not in web.log() and f'"GET {stream_url(page)}' in web.log()


def test_under_asgi_a_stream_renders_only_live_partials_and_stops_at_sign_out(
    web, client, user, make_mailbox
):
    mailbox = make_mailbox(user)
    test = ConnectionTest.objects.create(mailbox=mailbox, status="running")
    cookies = _cookie(client, user)
    base = f"{web.url}{reverse('live_stream')}?topics=test-{test.pk}&page="
    refused = httpx.get(base + reverse("mailbox_detail", args=[mailbox.pk]), cookies=cookies)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.text == "This part of a page cannot be sent live."
    partial = f"{reverse('mailbox_status', args=[mailbox.pk])}%3Flive%3Dtest-{test.pk}"
    stream = EventStream(base + partial, cookies)
    try:
        assert stream.next() == ("retry", "1000")
        assert stream.next() == ("event", "html") and "Testing" in stream.data
        # The web process's hub wakes its streams once when it starts reading: let that
        # pass, so that every render from here on starts after the sign-out.
        while stream.next()[0] != "comment":
            assert "Testing" in stream.data
        Session.objects.all().delete()  # signed out in another tab
        publish(f"test-{test.pk}")
        while (found := stream.next())[0] != "event":
            pass
        assert found == ("event", "signed-out")
        # ...and the stream ended there: nothing more, not even a heartbeat.
        assert next(stream._lines, None) is None
    finally:
        stream.close()


def test_the_stream_refuses_strangers_and_signed_out_visitors(web, client, user, other_user, make_mailbox):
    test = ConnectionTest.objects.create(mailbox=make_mailbox(user))
    url = f"{web.url}{reverse('live_stream')}?topics=test-{test.pk}"
    signed_out = httpx.get(url)  # told so on the stream, not redirected to the login page
    assert signed_out.status_code == HTTPStatus.OK
    assert signed_out.headers["content-type"] == "text/event-stream"
    assert signed_out.text.endswith("event: signed-out\ndata: signed-out\n\n")
    stranger = _cookie(client, other_user)
    assert httpx.get(url, cookies=stranger).status_code == HTTPStatus.FORBIDDEN
    with httpx.stream("GET", url, cookies=_cookie(client, user), timeout=10) as response:
        assert response.status_code == HTTPStatus.OK
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["x-accel-buffering"] == "no"


def test_under_asgi_an_htmx_request_of_a_signed_out_page_gets_an_event_not_the_login_page(
    web, user, make_mailbox
):
    status = f"{web.url}{reverse('mailbox_status', args=[make_mailbox(user).pk])}"
    answer = httpx.get(status, headers={"HX-Request": "true"})
    assert answer.status_code == HTTPStatus.NO_CONTENT and answer.headers["hx-trigger"] == "signed-out"
    page = httpx.get(status)  # a full page load still goes to the login page
    assert page.status_code == HTTPStatus.FOUND and page.headers["location"].startswith(reverse("login"))


def test_an_idle_stream_beats_and_ends_after_its_lifetime(web, client, user, make_mailbox):
    test = ConnectionTest.objects.create(mailbox=make_mailbox(user), status="connected")
    url = f"{web.url}{reverse('live_stream')}?topics=test-{test.pk}"
    started = time.monotonic()
    text = ""
    with httpx.stream("GET", url, cookies=_cookie(client, user), timeout=10) as response:
        for chunk in response.iter_text():
            text += chunk
    elapsed = time.monotonic() - started
    assert LIFETIME - 0.2 < elapsed < LIFETIME + 3, elapsed
    assert text.startswith("retry: 1000\n\n") and text.count(": ping\n\n") >= LIFETIME / HEARTBEAT - 3


def test_static_files_are_served_under_asgi(web):
    response = httpx.get(f"{web.url}/static/django_htmx/ext/hx-sse-2.min.js")
    assert response.status_code == HTTPStatus.OK and "sse" in response.text
    assert httpx.get(f"{web.url}/static/nope.js").status_code == HTTPStatus.NOT_FOUND


WEB_APP_NAME = "live-streams-web"


@pytest.fixture
def web_on_postgres(test_database_url, pki, tmp_path):
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("counts PostgreSQL connections (tier 2: DATABASE_URL and REDIS_URL)")
    # libpq's PGAPPNAME names the web process's connections in pg_stat_activity.
    server = spawn_web(test_database_url, pki, tmp_path / "web.log", PGAPPNAME=WEB_APP_NAME)
    yield server
    server.stop()


def _web_backends() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT state || ': ' || query FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [WEB_APP_NAME],
        )
        return [row[0] for row in cursor.fetchall()]


def test_idle_streams_hold_no_database_connection(web_on_postgres, client, user, make_mailbox):
    """The checks at a stream's start borrow a connection from the process's pool and give
    it back: what the web process holds is its pool, never one connection per stream."""
    mailbox = make_mailbox(user)
    tests = [ConnectionTest.objects.create(mailbox=mailbox) for _ in range(60)]
    cookies = _cookie(client, user)
    assert _web_backends() == []
    http = httpx.Client(cookies=cookies, timeout=10, limits=httpx.Limits(max_connections=65))

    def open_stream(test):
        url = f"{web_on_postgres.url}{reverse('live_stream')}?topics=test-{test.pk}"
        response = http.send(http.build_request("GET", url), stream=True)
        assert response.status_code == HTTPStatus.OK
        assert next(response.iter_lines()) == "retry: 1000"  # checked: the stream is open
        return response

    opened = []
    try:
        # At once, as pages would: each stream's checks ran in the shared thread pool.
        with ThreadPoolExecutor(20) as pool:
            opened += list(pool.map(open_stream, tests[:20]))
        time.sleep(0.5)
        after_20 = _web_backends()
        with ThreadPoolExecutor(20) as pool:
            opened += list(pool.map(open_stream, tests[20:]))
        time.sleep(0.5)
        after_60 = _web_backends()
    finally:
        for response in opened:
            response.close()
        http.close()
    # At most one per thread of the shared pool (min(32, cores + 4)), each idle in the
    # connection pool; three times the streams hold no more.
    bound = min(32, (os.cpu_count() or 1) + 4)
    assert len(after_60) <= bound and len(after_60) <= max(len(after_20), 1) + 1, (after_20, after_60)
    assert all(state.startswith("idle:") for state in after_60), after_60


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_idle_streams_hold_no_thread(web, client, user, make_mailbox):
    """A thousand open pages must not mean a thousand parked threads in the web process."""
    mailbox = make_mailbox(user)
    tests = [ConnectionTest.objects.create(mailbox=mailbox) for _ in range(51)]
    http = httpx.Client(cookies=_cookie(client, user), timeout=10, limits=httpx.Limits(max_connections=60))

    def open_stream(test):
        url = f"{web.url}{reverse('live_stream')}?topics=test-{test.pk}"
        response = http.send(http.build_request("GET", url), stream=True)
        assert response.status_code == HTTPStatus.OK
        assert next(response.iter_lines()) == "retry: 1000"
        return response

    opened = [open_stream(tests[0])]  # the hub's thread and the pool start with the first
    try:
        before = _threads(web.proc.pid)
        with ThreadPoolExecutor(10) as pool:
            opened += list(pool.map(open_stream, tests[1:]))
        time.sleep(0.3)
        after = _threads(web.proc.pid)
    finally:
        for response in opened:
            response.close()
        http.close()
    # The checks share the default thread pool (a handful of threads), never one per stream.
    assert after - before <= 8, f"{after - before} more threads for 50 more idle streams"
