"""A disconnected mailbox fixed in place, in Chromium: one way to fix it, and the Health
panel and the banner follow the pushed result without a reload.

Real rows all the way: a health check against a local SMTP server and Dovecot finds the
password changed (disconnected), the owner retypes it on the mailbox page, a real Celery
worker tests it. The SMTP side goes through a relay the test holds shut while it looks at
the page, so the result is certainly pushed, not read at load.
"""

import threading

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Mailbox
from monitoring import checks
from monitoring.models import State
from tests.servers.raw import forward_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

OLD, NEW = "Old-pässword-1", "New-pässword-2"


def _signed_in(watched, app, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    watched.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": app}])


def test_fixing_a_disconnected_mailbox_in_place_updates_the_banner_and_health_live(
    watched, app, make_user, make_mailbox, smtp_server, dovecot, raw_server, celery_worker
):
    user = make_user("dana")
    user.email = "dana@people.example"
    user.save()
    name = dovecot.unique_username("fixme")
    smtp = smtp_server(security="starttls", users={name: OLD})
    dovecot.add_user(name, OLD, folders=["Sent"])
    gate = threading.Event()
    gate.set()
    relay_to_smtp = forward_to(smtp.port)

    def held(conn) -> None:
        gate.wait(60)  # shut while the test looks at the page; opened below
        relay_to_smtp(conn)

    relay = raw_server(held)
    mailbox = make_mailbox(
        user,
        email=name,
        password=OLD,
        smtp_port=relay.port,
        imap_port=dovecot.port_ssl,
        status=Mailbox.Status.CONNECTED,
    )
    checks.ensure_health(mailbox)
    # The password changed elsewhere: the next health check disconnects the mailbox.
    smtp.users[name] = NEW
    dovecot.add_user(name, NEW)
    assert checks.run_check(mailbox.pk).after == State.DISCONNECTED

    _signed_in(watched, app, user)
    page = watched.page
    page.goto(f"{app}/mailboxes/{mailbox.pk}/")
    banner = page.locator("#health-banner .health-banner")
    assert f"{name}: Disconnected." in banner.inner_text()
    health = page.locator("#health .mailbox-state")
    assert health.get_attribute("data-mailbox-state") == "disconnected"
    assert "authentication error" in page.inner_text("#health .state-sentence")
    # One obvious way to fix it: the password, typed again in the result; nothing else.
    assert page.locator("main .primary").count() == 1
    assert page.locator("#test-status form.retype").count() == 1
    assert page.locator("main").get_by_role("button", name="Test again").count() == 1
    watched.shot("disconnected")

    gate.clear()
    page.fill("input[name=retype_password]", NEW)
    page.click("#test-status form.retype button[type=submit]")
    page.wait_for_selector("#test-status[data-state=queued], #test-status[data-state=running]")
    page.evaluate("window.notReloaded = true")
    assert health.get_attribute("data-mailbox-state") in ("queued", "testing")
    gate.set()

    page.wait_for_selector("#health .mailbox-state[data-mailbox-state=connected]", timeout=40_000)
    assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
    assert page.locator("#test-status .badge.connected").count() == 1
    assert page.locator("#health-banner .health-banner").count() == 0
    assert "Sending and receiving work." in page.inner_text("#health .state-sentence")
    assert NEW not in page.content()
    watched.shot("fixed")
