"""Support and admin flows in the browser: a stuck user asks for help with a
screenshot, support staff answer it, and an admin finds the failure and re-runs it."""

import re
import time

import pytest
from PIL import Image

from accounts.models import Mailbox
from core.roles import ADMIN, SUPPORT, grant
from tests.browser.test_flows import PASSWORD, fill_connect_form, sign_up

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def log_in(page, app, username, password="correct horse battery"):
    page.goto(f"{app}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def log_out(page):
    page.click("header button:has-text('Log out')")
    page.wait_for_url(re.compile(r".*/login/$"))


def failing_mailbox(watched, app, dovecot, smtp_server, prefix):
    name = dovecot.unique_username(prefix)
    dovecot.add_user(name, "not-what-the-user-typed", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    sign_up(watched, app, username=f"{prefix}-user")
    fill_connect_form(watched.page, name, smtp.port, "starttls", dovecot.port_ssl)
    watched.page.click("text=Connect and test")
    watched.page.wait_for_selector(".badge.failed")
    return name


def test_a_support_request_with_a_screenshot_is_answered_by_support(
    watched, app, celery_worker, dovecot, smtp_server, make_user, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched.page
    email = failing_mailbox(watched, app, dovecot, smtp_server, "helpme")
    page.click("text=Contact support")
    page.wait_for_selector("textarea[name=message]")
    shot = tmp_path / "my-settings.png"
    Image.new("RGB", (320, 200), (40, 90, 200)).save(shot)
    page.fill("textarea[name=message]", "I checked everything and it still fails.")
    page.set_input_files("input[name=screenshots]", str(shot))
    watched.shot("request-form")
    page.click("text=Send to support")
    page.wait_for_selector("text=I checked everything and it still fails.")
    request_url = page.url
    log_out(page)

    staff = make_user("helper-staff")
    grant(staff, SUPPORT)
    log_in(page, app, "helper-staff")
    page.goto(f"{app}/support/queue/")
    page.click(f"text={email}")
    page.wait_for_selector("img")
    assert "IMAP authentication error" in page.content()
    assert page.locator("img").count() >= 2  # the user's screenshot and the settings snapshot
    watched.shot("queue-detail")
    page.fill(
        "textarea[name=text]",
        "Your IMAP password is not the one your provider expects; create an app password.",
    )
    page.click("text=Send reply")
    page.wait_for_selector("text=create an app password")
    log_out(page)

    log_in(page, app, "helpme-user@example.test", "a-long enough pw 42")
    page.goto(request_url)
    page.wait_for_selector("text=create an app password")
    watched.shot("user-sees-reply")
    assert PASSWORD not in page.content()


def test_an_admin_finds_the_failure_and_reruns_it(
    watched, app, celery_worker, dovecot, smtp_server, make_user
):
    page = watched.page
    email = failing_mailbox(watched, app, dovecot, smtp_server, "review")
    log_out(page)
    admin = make_user("the-admin")
    grant(admin, ADMIN)
    log_in(page, app, "the-admin")
    page.goto(f"{app}/review/?q={email}")
    watched.shot("review-list")
    page.click(f"a:has-text('{email}')")
    page.wait_for_selector("text=Re-run the test")
    watched.shot("review-detail")
    page.click("text=Re-run the test")
    page.wait_for_load_state()
    mailbox = Mailbox.objects.get(email=email)
    for _ in range(150):  # the worker runs the new test
        if mailbox.tests.filter(status="failed").count() == 2:
            break
        time.sleep(0.2)
    assert mailbox.tests.filter(status="failed").count() == 2
    page.wait_for_selector("text=IMAP authentication error")
    watched.shot("rerun-result")
