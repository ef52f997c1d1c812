"""GET /live/: who may watch what, what the stream sends, and when it ends. Served here by
the test client, that is the WSGI path (a sync generator); tests/live/test_two_process.py
runs the ASGI path under uvicorn."""

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.middleware.csrf import _unmask_cipher_token
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestStep
from live import topics
from live.publish import publish, publish_many
from live.stream import HEARTBEAT
from tests.live.pages import closes_stream

pytestmark = pytest.mark.django_db(transaction=True)  # the stream's checks run in a thread of their own


@pytest.fixture
def mine(user, make_mailbox):
    mailbox = make_mailbox(user)
    return mailbox, ConnectionTest.objects.create(mailbox=mailbox, deadline_at=None)


@pytest.fixture
def quick(settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.2
    settings.LIVE_STREAM_MAX_SECONDS = 1.5
    return settings


def _off_the_main_thread(call, *args):
    """Run `call` in a thread with no event loop: in a full run the browser tests'
    Playwright keeps one running in the main thread, where Django cannot call the
    async view from sync code (a real WSGI server thread never has one)."""

    def served(*args):
        try:
            return call(*args)
        finally:  # as a server's thread does at the end of a request: the pool gets it back
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(served, *args).result()


def _elsewhere(call, *args) -> None:
    """Publish from another thread: outside the test's transaction, so at once."""
    threading.Thread(target=call, args=args).start()


def _one_html_event(text: str) -> bool:
    return text.endswith("\n\n") and len(_html_events(text)) >= 1


def _open(client, *wanted):
    return _off_the_main_thread(client.get, reverse("live_stream"), {"topics": ",".join(wanted)})


class Reader:
    """Reads a streaming response chunk by chunk, noting when each chunk came."""

    def __init__(self, response):
        self.response = response
        self.chunks: list[tuple[float, str]] = []
        self._iterator = iter(response.streaming_content)

    def read_for(self, seconds: float) -> str:
        """Everything sent in the next `seconds` (heartbeats keep this from blocking long)."""
        end = time.monotonic() + seconds
        text = ""
        while time.monotonic() < end:
            try:
                chunk = next(self._iterator).decode()
            except StopIteration:
                break
            self.chunks.append((time.monotonic(), chunk))
            text += chunk
        return text

    def read_all(self) -> str:
        return self.read_for(30)

    def read_until(self, done) -> str:
        """Everything sent until `done(text)` holds (a string: until it is in the text).
        Waits on the stream itself; only a stream that never sends it runs into the
        safety limit (30 s) and fails."""
        if isinstance(done, str):
            marker = done
            done = lambda text: marker in text  # noqa: E731
        text = ""
        limit = time.monotonic() + 30
        while not done(text):
            if time.monotonic() > limit:
                pytest.fail(f"the stream never sent what was awaited; it sent {text!r}")
            try:
                chunk = next(self._iterator).decode()
            except StopIteration:
                pytest.fail(f"the stream ended before sending what was awaited; it sent {text!r}")
            self.chunks.append((time.monotonic(), chunk))
            text += chunk
        return text

    def close(self):
        self.response.close()


def test_signed_out_visitors_are_told_so_on_the_stream_not_redirected(client, mine):
    """An EventSource sees no status code, and the browser retries a refused one and logs
    each try as an error: the page hears why instead, and stops (static/js/live.js)."""
    response = _open(client, f"test-{mine[1].pk}")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/event-stream"
    body = Reader(response).read_all()
    assert body == "retry: 60000\n\nevent: signed-out\ndata: signed-out\n\n"


def test_an_htmx_request_of_a_signed_out_page_gets_nothing_to_swap_and_an_event(client, mine):
    mailbox = mine[0]
    url = reverse("mailbox_status", args=[mailbox.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.NO_CONTENT and response["HX-Trigger"] == "signed-out"
    assert response.content == b""
    # A full page load still goes to the login page, and comes back after it.
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_another_users_test_or_mailbox_is_refused(client, other_user, mine):
    client.force_login(other_user)
    mailbox, test = mine
    assert _open(client, f"test-{test.pk}").status_code == HTTPStatus.FORBIDDEN
    assert _open(client, f"mailbox-{mailbox.pk}").status_code == HTTPStatus.FORBIDDEN


def test_one_forbidden_topic_refuses_the_whole_stream(client_a, other_user, make_mailbox, mine):
    theirs = make_mailbox(other_user, email="bob@example.test")
    response = _open(client_a, f"test-{mine[1].pk}", f"mailbox-{theirs.pk}")
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "topic",
    [
        "nosuch-1",
        "test-abc",
        "test-",
        "Test-1",
        "test-1 2",
        "mailbox-99999999999999999999",
        "detect-a/b",
        "test-{pk}\n",  # a line feed would break the event framing
        "test-0{pk}",  # one name per test
        "test-{pk}\r\nevent: x",
        "detect-Example.com",  # one name per domain
    ],
)
def test_unknown_and_malformed_topics_are_refused(client_a, mine, topic):
    assert _open(client_a, topic.format(pk=mine[1].pk)).status_code == HTTPStatus.FORBIDDEN


def test_it_needs_one_to_twenty_different_topics(client_a, mine):
    assert _open(client_a).status_code == HTTPStatus.BAD_REQUEST
    test = f"test-{mine[1].pk}"
    assert _open(client_a, test, test).status_code == HTTPStatus.BAD_REQUEST
    assert _open(client_a, *[f"detect-d{n}.example" for n in range(21)]).status_code == HTTPStatus.BAD_REQUEST


def test_admins_may_watch_any_test_and_support_staff_may_not(client, admin_user, support_user, mine, quick):
    client.force_login(support_user)
    assert _open(client, f"test-{mine[1].pk}").status_code == HTTPStatus.FORBIDDEN
    client.force_login(admin_user)
    response = _open(client, f"test-{mine[1].pk}")
    assert response.status_code == HTTPStatus.OK
    response.close()
    # Admins see tests, not other people's mailboxes.
    assert _open(client, f"mailbox-{mine[0].pk}").status_code == HTTPStatus.FORBIDDEN


def test_any_signed_in_user_may_watch_a_domains_detection(client_a, quick):
    response = _open(client_a, "detect-example.com", "detect-mail.example-domain.org")
    assert response.status_code == HTTPStatus.OK
    response.close()


def test_it_opens_with_an_event_then_pushes_each_change_once(client_a, mine, quick, running_hub):
    mailbox, test = mine
    # Long enough for the three changes below, short enough that its end closes the test:
    # reading to the end shows that nothing came twice.
    quick.LIVE_STREAM_MAX_SECONDS = 3
    response = _open(client_a, f"test-{test.pk}", f"mailbox-{mailbox.pk}")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache" and response["X-Accel-Buffering"] == "no"
    reader = Reader(response)
    try:
        opening = reader.read_until(f"data: mailbox-{mailbox.pk}\n\n").replace(HEARTBEAT, "")
        # One event for both topics: the page re-reads one partial for either.
        assert opening == f"retry: 1000\n\nevent: mailbox-{mailbox.pk}\ndata: mailbox-{mailbox.pk}\n\n"
        _elsewhere(publish, f"test-{test.pk}")
        pushed = reader.read_until(f"data: test-{test.pk}\n\n").replace(HEARTBEAT, "")
        assert pushed == f"event: test-{test.pk}\ndata: test-{test.pk}\n\n"
        # Both changed at once (a result: the test and its mailbox): still one event.
        _elsewhere(publish_many, [f"test-{test.pk}", f"mailbox-{mailbox.pk}"])
        pushed = reader.read_all().replace(HEARTBEAT, "")
        assert pushed.count("event: ") == 1, pushed
    finally:
        reader.close()


def test_it_sends_heartbeats_and_ends_after_its_lifetime(client_a, mine, quick, running_hub):
    topic = f"test-{mine[1].pk}"
    before = running_hub.watchers(topic)
    started = time.monotonic()
    reader = Reader(_open(client_a, f"test-{mine[1].pk}"))
    body = reader.read_all()
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 5, elapsed  # LIVE_STREAM_MAX_SECONDS, then the browser reconnects
    assert body.count(": ping\n\n") >= 4
    assert running_hub.watchers(topic) == before  # the stream let go of the hub


def test_a_stream_the_client_leaves_lets_go_of_the_hub(client_a, mine, quick, running_hub):
    topic = f"test-{mine[1].pk}"
    before = running_hub.watchers(topic)
    reader = Reader(_open(client_a, topic))
    reader.read_until("event: ")  # the opening event: the stream has subscribed
    assert running_hub.watchers(topic) == before + 1
    reader.close()
    assert running_hub.watchers(topic) == before


def test_a_test_that_is_not_final_fires_by_itself_at_its_deadline(client_a, mine, quick, running_hub):
    _, test = mine
    deadline = timezone.now() + timedelta(seconds=0.4)
    ConnectionTest.objects.filter(pk=test.pk).update(status="running", deadline_at=deadline)
    opened = time.monotonic()
    reader = Reader(_open(client_a, f"test-{test.pk}"))
    reader.read_all()
    fired = [at - opened for at, chunk in reader.chunks if f"event: test-{test.pk}" in chunk]
    # The opening, then the deadline (+0.5 s) once, within the stream's 1.5 s; not before.
    assert len(fired) == 2, reader.chunks
    assert fired[1] > 0.8, fired


def test_a_queued_test_fires_when_the_no_worker_notice_is_due(client_a, mine, quick, running_hub):
    _, test = mine
    created = timezone.now() - ConnectionTest.WAITING_NOTICE_AFTER + timedelta(seconds=0.4)
    ConnectionTest.objects.filter(pk=test.pk).update(
        status="queued", created_at=created, deadline_at=timezone.now() + timedelta(minutes=1)
    )
    opened = time.monotonic()
    reader = Reader(_open(client_a, f"test-{test.pk}"))
    reader.read_all()
    fired = [at - opened for at, chunk in reader.chunks if f"event: test-{test.pk}" in chunk]
    assert len(fired) == 2 and fired[1] > 0.8, fired  # then, when due, the page shows the notice


def test_a_final_test_never_fires_by_itself(client_a, mine, quick, running_hub):
    _, test = mine
    past = timezone.now() - timedelta(seconds=5)
    ConnectionTest.objects.filter(pk=test.pk).update(status="connected", deadline_at=past)
    body = Reader(_open(client_a, f"test-{test.pk}")).read_all()
    assert body.count("event: ") == 1


def test_topic_names_are_strict(user):
    assert not topics.allowed(user, "test-abc") and topics.split("detect-a-b.example") == (
        "detect",
        "a-b.example",
    )
    assert topics.split("Test-1") is None and topics.split("test-" + "1" * 191) is None
    assert topics.split("test-1\n") is None and topics.split("test-01") is None
    assert topics.split("test-10") == ("test", "10") and topics.split("test-0") == ("test", "0")


def test_under_asgi_a_client_that_leaves_lets_go_of_the_hub(client_a, mine, quick, running_hub):
    """The ASGI path: an async generator, cancelled when the client disconnects."""
    from django.conf import settings
    from django.core.asgi import get_asgi_application

    quick.LIVE_STREAM_MAX_SECONDS = 30
    application = get_asgi_application()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client_a.cookies[settings.SESSION_COOKIE_NAME].value}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/live/",
        "raw_path": b"/live/",
        "query_string": f"topics=test-{mine[1].pk}".encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    before = running_hub.watchers(f"test-{mine[1].pk}")
    seen = {"status": None, "body": b"", "subscribers": None}

    async def scenario():
        left = asyncio.Event()
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["body"] += message.get("body", b"")
                if b"event: test-" in seen["body"] and not left.is_set():
                    seen["subscribers"] = running_hub.watchers(f"test-{mine[1].pk}")
                    left.set()  # the tab is closed

        await asyncio.wait_for(application(scope, receive, send), timeout=10)

    _off_the_main_thread(asyncio.run, scenario())
    assert seen["status"] == HTTPStatus.OK and seen["body"].startswith(b"retry: 1000\n\n")
    assert seen["subscribers"] == before + 1
    assert running_hub.watchers(f"test-{mine[1].pk}") == before


def _open_page(client, mailbox, test, page: str | None = None):
    """The stream as the mailbox page opens it: its topics, and its partial to render."""
    wanted = f"test-{test.pk},mailbox-{mailbox.pk}"
    if page is None:
        page = f"{reverse('mailbox_status', args=[mailbox.pk])}?{urlencode({'live': wanted})}"
    return _off_the_main_thread(client.get, reverse("live_stream"), {"topics": wanted, "page": page})


def _html_events(text: str) -> list[str]:
    """The partials in the stream's `html` events, as EventSource hands them to htmx."""
    events = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if "event: html" in lines:
            events.append(
                "\n".join(line.removeprefix("data: ") for line in lines if line.startswith("data: "))
            )
    return events


def test_a_stream_that_names_its_partial_sends_it_rendered_for_the_page(client_a, mine, quick, running_hub):
    """live/partial.py: the page needs no request of its own after an event."""
    mailbox, test = mine
    quick.LIVE_STREAM_MAX_SECONDS = 10
    ConnectionTest.objects.filter(pk=test.pk).update(status="running")
    client_a.get(reverse("mailbox_detail", args=[mailbox.pk]))  # the page, which sets the CSRF cookie
    reader = Reader(_open_page(client_a, mailbox, test))
    try:
        opening = _html_events(reader.read_until(_one_html_event))
        # The opening event carries the partial as it is now: the page catches up with it alone.
        assert len(opening) == 1 and 'id="test-status"' in opening[0] and "Testing" in opening[0]
        assert "event: test-" not in "".join(chunk for _, chunk in reader.chunks)
        TestStep.objects.create(test=test, protocol="smtp", name="auth", ok=True, ms=3)
        ConnectionTest.objects.filter(pk=test.pk).update(status="connected", sent_folder="Sent")
        _elsewhere(publish_many, [f"test-{test.pk}", f"mailbox-{mailbox.pk}"])
        (final,) = _html_events(reader.read_until(_one_html_event))
    finally:
        reader.close()
    # The same answer as the page's own fetch: the result, its steps, the stream closed
    # out of band, forms that carry the page's CSRF token; lines kept as they were.
    fetched = client_a.get(
        f"{reverse('mailbox_status', args=[mailbox.pk])}?live=test-{test.pk},mailbox-{mailbox.pk}",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Connected" in final and 'data-step="smtp-auth"' in final
    assert closes_stream(final) and final.count("\n") == fetched.count("\n")
    token = client_a.cookies[settings.CSRF_COOKIE_NAME].value
    assert 'name="csrfmiddlewaretoken"' in final
    for value in re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', final):
        assert _unmask_cipher_token(value) == token


def test_a_stream_renders_only_live_partials(client_a, mine):
    mailbox, test = mine
    for page in (
        reverse("mailbox_detail", args=[mailbox.pk]),  # a whole page
        reverse("mailbox_delete", args=[mailbox.pk]),
        reverse("live_stream"),
        "https://elsewhere.example/mailboxes/1/status/",
        "//elsewhere.example/mailboxes/1/status/",
        "/no/such/page/",
    ):
        response = _open_page(client_a, mailbox, test, page)
        assert response.status_code == HTTPStatus.BAD_REQUEST, page
        assert response.content.decode() == "This part of a page cannot be sent live."


def test_a_session_that_ends_while_the_stream_is_open_ends_it_with_signed_out(
    client_a, mine, quick, running_hub
):
    mailbox, test = mine
    quick.LIVE_STREAM_MAX_SECONDS = 10
    reader = Reader(_open_page(client_a, mailbox, test))
    try:
        assert len(_html_events(reader.read_until(_one_html_event))) == 1
        Session.objects.all().delete()  # signed out in another tab, or expired
        _elsewhere(publish, f"test-{test.pk}")
        rest = reader.read_all()
    finally:
        reader.close()
    # No more of the mailbox: the page is told why it stops, and the stream ends.
    assert rest.replace(HEARTBEAT, "") == "retry: 60000\n\nevent: signed-out\ndata: signed-out\n\n"


@pytest.mark.parametrize("publish_first", [True, False], ids=["event", "heartbeat"])
def test_a_stream_without_a_page_ends_with_signed_out_when_the_session_ends(
    client_a, mine, quick, running_hub, publish_first
):
    """No topic name goes to a signed-out page: the next event, or the next heartbeat,
    is `signed-out`, and the stream ends there instead of at its lifetime."""
    _, test = mine
    quick.LIVE_STREAM_MAX_SECONDS = 30
    quick.LIVE_HEARTBEAT_SECONDS = 0.3
    reader = Reader(_open(client_a, f"test-{test.pk}"))
    try:
        assert f"event: test-{test.pk}" in reader.read_for(0.2)
        Session.objects.all().delete()  # signed out in another tab, or expired
        if publish_first:
            threading.Timer(0.1, publish, [f"test-{test.pk}"]).start()
        rest = reader.read_all()
    finally:
        reader.close()
    # Without the check: the topic's event, or heartbeats until the 30 s lifetime.
    assert rest == "retry: 60000\n\nevent: signed-out\ndata: signed-out\n\n", rest


def test_a_partial_that_cannot_be_rendered_falls_back_to_the_plain_event(client_a, mine, quick, running_hub):
    """The page then fetches the partial itself and shows what that answers."""
    mailbox, test = mine
    quick.LIVE_STREAM_MAX_SECONDS = 10
    reader = Reader(_open_page(client_a, mailbox, test))
    try:
        reader.read_until(_one_html_event)
        Mailbox.objects.filter(pk=mailbox.pk).delete()  # the partial now answers 404
        _elsewhere(publish, f"test-{test.pk}")
        pushed = reader.read_until(f"data: test-{test.pk}\n\n").replace(HEARTBEAT, "")
    finally:
        reader.close()
    assert pushed == f"event: test-{test.pk}\ndata: test-{test.pk}\n\n"
