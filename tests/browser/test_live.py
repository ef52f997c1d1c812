"""Live status in Chromium: steps arrive by push, and a page whose stream is cut again and
again while the test runs still ends with exactly the database's steps and Connected."""

import re
import time

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from live.hub import hub
from tests.browser.test_flows import PASSWORD, sign_up
from tests.live.slow import delayed_proxy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _mailbox(username: str, email: str, smtp_port: int, imap_port: int) -> Mailbox:
    from django.contrib.auth.models import User

    mailbox = Mailbox(
        user=User.objects.get(username=username),
        email=email,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="starttls",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_security="ssl",
    )
    mailbox.set_password(PASSWORD)
    mailbox.save()
    return mailbox


def _shown_steps(page) -> list[str]:
    return page.eval_on_selector_all("#test-status [data-step]", "els => els.map(e => e.dataset.step)")


def _slow_test_page(watched, app, dovecot, smtp_server, raw_server, person: str) -> tuple[Mailbox, list[str]]:
    """A signed-up person's mailbox whose SMTP server waits 2 s (under the 3 s probe
    timeout), so that a test keeps running; and the /live/ requests the page makes."""
    name = dovecot.unique_username(person)
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    slow_smtp = delayed_proxy(raw_server, smtp.port, delay=2.0)
    streams = []
    watched.page.on("request", lambda r: streams.append(r.url) if "/live/" in r.url else None)
    login = sign_up(watched, app, username=f"{person}-person")  # the address is the login
    return _mailbox(login, name, slow_smtp.port, dovecot.port_ssl), streams


def _partial_fetches(page) -> list[str]:
    """The page's own requests for its status partial (its stream brings the partial)."""
    fetched = []
    page.on(
        "request", lambda r: fetched.append(r.url) if "/status/" in r.url and "/live/" not in r.url else None
    )
    return fetched


def test_steps_are_pushed_and_a_cut_stream_catches_up_without_duplicates(
    watched, app, settings, celery_worker, dovecot, smtp_server, raw_server
):
    # Streams end after 0.3 s: the browser reconnects (after the stream's `retry: 1000`)
    # while the slow SMTP server keeps the test running.
    settings.LIVE_STREAM_MAX_SECONDS = 0.3
    mailbox, streams = _slow_test_page(watched, app, dovecot, smtp_server, raw_server, "livecut")
    page = watched.page
    fetched = _partial_fetches(page)

    page.goto(f"{app}{reverse('mailbox_detail', args=[mailbox.pk])}")
    page.click("text=Test again")
    # IMAP finishes while SMTP still waits: its steps arrive by push, before any result.
    page.wait_for_selector("[data-step='imap-sent_folder']", state="attached")  # in the folded details
    assert page.locator(".badge.connected").count() == 0
    assert page.locator("[data-step='smtp-auth']").count() == 0
    watched.shot("imap-done-smtp-waiting")
    page.wait_for_selector(".badge.connected", timeout=30_000)
    watched.shot("connected")

    test = mailbox.latest_test()
    in_database = sorted(f"{s.protocol}-{s.name}" for s in test.steps.all())
    shown = _shown_steps(page)
    assert sorted(shown) == in_database and len(shown) == len(set(shown))
    assert page.inner_text(".sent-folder") == "Sent"
    # The health panel beside the result came with it: it no longer waits for a connection.
    assert "start within a minute" in page.inner_text("#health")
    assert len(streams) >= 2, streams  # the stream really was cut and reopened mid-test
    # Every step and the result came inside the stream's events: no fetch of the partial.
    assert fetched == []
    # The answer that showed Connected closed the stream: the page waits for nothing now.
    count = len(streams)
    page.wait_for_timeout(2000)
    assert len(streams) == count and page.locator("[sse-connect]").count() == 0


HTMX_SCRIPT = re.compile(r"/htmx-2(\.min)?\.js")


def test_a_test_that_ends_before_htmx_starts_is_heard_on_the_stream_opened_early(
    watched, app, settings, celery_worker, dovecot, smtp_server
):
    """The page opens its stream as the parser reaches it (templates/live/early.js), not
    when htmx starts. Here htmx's script is held until the worker has finished the test
    and its events have reached the page: htmx must take over that same stream and hear
    what it kept, or the page would wait for the test's deadline (46 s) to show Connected."""
    # Heartbeats this often let the test's server (WSGI) notice a closed stream at once.
    settings.LIVE_HEARTBEAT_SECONDS = 0.3
    name = dovecot.unique_username("early")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    page = watched.page
    login = sign_up(watched, app, username="early-person")
    mailbox = _mailbox(login, name, smtp.port, dovecot.port_ssl)
    page.goto(f"{app}{reverse('mailbox_detail', args=[mailbox.pk])}")

    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/live/" in r.url else None)
    held = {}

    def hold_htmx(route):
        # Until the worker has finished the test and its events reached the open stream.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            test = mailbox.latest_test()
            if test is not None and test.is_final:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        held["topic"] = f"test-{test.pk}"
        held["streams_open"] = hub.watchers(held["topic"])  # this process serves the page
        route.continue_()

    page.route(HTMX_SCRIPT, hold_htmx)
    page.click("text=Test again")
    page.wait_for_selector(".badge.connected", timeout=8_000)
    watched.shot("connected-heard-early")

    assert mailbox.latest_test().status == "connected"
    # One stream, open before htmx was even loaded, and handed over to it.
    assert held["streams_open"] == 1
    assert len(streams) == 1, streams
    # ...which htmx closes, as any other, once the answer says there is nothing left to wait for.
    deadline = time.monotonic() + 5
    while hub.watchers(held["topic"]) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert hub.watchers(held["topic"]) == 0 and page.locator("[sse-connect]").count() == 0


def test_a_page_whose_session_ends_says_so_and_stops_listening(
    watched, app, settings, celery_worker, dovecot, smtp_server, raw_server
):
    """Signed out in another tab while a test runs: the page neither swaps the login page
    into itself nor retries its stream (each try a console error); it says what happened
    and how to come back."""
    settings.LIVE_STREAM_MAX_SECONDS = 0.3  # the stream reconnects while the test runs
    mailbox, streams = _slow_test_page(watched, app, dovecot, smtp_server, raw_server, "leaving")
    page = watched.page
    detail = reverse("mailbox_detail", args=[mailbox.pk])
    page.goto(f"{app}{detail}")
    page.click("text=Test again")
    page.wait_for_selector("[sse-connect]", state="attached")
    assert page.is_hidden("#signed-out")

    other = page.context.new_page()  # the same browser: the same session cookie
    other.goto(f"{app}{reverse('mailbox_list')}")
    other.click("button.logout")
    other.wait_for_url(re.compile(r".*/(login/)?$"))
    other.close()

    page.wait_for_selector("#signed-out", state="visible", timeout=10_000)
    watched.shot("signed-out")
    said = page.inner_text("#signed-out")
    assert "signed out" in said and "stopped updating" in said
    back = f"{reverse('login')}?next={detail.replace('/', '%2F')}"
    assert page.get_attribute("#signed-out a", "href") == back
    assert page.locator("form[action*='login']").count() == 0  # no login page swapped into the status
    # The stream is closed for good: no retries, so no errors in the console either.
    count = len(streams)
    page.wait_for_timeout(2500)
    assert len(streams) == count, streams
