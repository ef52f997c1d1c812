"""Every page of the accounts, support and review parts at 1280 and 390 px: no sideways
overflow, no serious or critical axe-core finding, a screenshot each (var/screenshots/ux-*).
Plus the flows that only a browser shows: the menu button, times in the viewer's zone,
staff landing on their work, the queue's views."""

import re

import pytest
from django.utils import timezone

from accounts.models import Mailbox
from tests.browser.a11y import check_page
from tests.browser.pages import log_in

# Screenshots go to a folder of the test's own.
pytestmark = [pytest.mark.usefixtures("media_root"), pytest.mark.django_db(transaction=True)]


def test_the_pages_anyone_sees_pass_at_both_widths(watched, app, make_user):
    page = watched.page
    for name, path in [
        ("ux-login", "/login/"),
        ("ux-signup", "/signup/"),
        ("ux-password-reset", "/password-reset/"),
        ("ux-password-reset-sent", "/password-reset/sent/"),
        ("ux-password-reset-done", "/password-reset/done/"),
    ]:
        page.goto(f"{app}{path}")
        check_page(page, name)
    make_user("new@example.test")
    log_in(page, app, "new@example.test")
    check_page(page, "ux-mailboxes-empty")
    assert "Connect the mailbox you send email from" in page.inner_text("main")
    assert "sequence" not in page.inner_text("main").lower()


def test_a_users_pages_pass_at_both_widths(watched, app, world):
    page = watched.page
    log_in(page, app, "pat@example.test")
    assert page.url == f"{app}/"
    check_page(page, "ux-mailboxes")
    page.goto(f"{app}/support/")
    check_page(page, "ux-support-list")
    page.goto(f"{app}/support/{world['request'].pk}/")
    check_page(page, "ux-support-request")
    page.goto(f"{app}/support/new/{world['failed'].pk}/")
    check_page(page, "ux-support-new")


def test_an_agent_lands_on_the_queue_and_its_views_filter(watched, app, world, make_user):
    page = watched.page
    log_in(page, app, "sam-agent")
    assert page.url == f"{app}/support/queue/"
    nav = page.inner_text("header nav")
    assert "Support queue" in nav and "Connect a mailbox" not in nav
    row = page.locator("table.queue tbody tr").first
    assert "Timeout error" in row.inner_text() and "You" in row.inner_text()
    check_page(page, "ux-queue")
    page.click("nav.queue-tabs >> text=Unassigned")
    page.wait_for_url(re.compile(r".*view=unassigned"))
    assert "No requests here." in page.inner_text("table.queue")
    page.click("nav.queue-tabs >> text=Mine")
    page.wait_for_url(re.compile(r".*view=mine"))
    assert world["request"].email in page.inner_text("table.queue")
    page.click("nav.queue-tabs >> text=Waiting for user")
    page.wait_for_url(re.compile(r".*status=waiting"))
    assert "No requests here." in page.inner_text("table.queue")

    page.goto(f"{app}/support/queue/{world['request'].pk}/")
    assert "The mailbox now" in page.inner_text("#mailbox-now")
    # A saved reply goes in at the end of what the agent typed, replacing nothing.
    page.fill("textarea[name=text]", "Hello Pat,")
    page.click("details.saved-replies summary")
    page.click("button[data-saved-reply]")
    assert (
        page.input_value("textarea[name=text]")
        == "Hello Pat,\n\nYour provider expects port 993 with SSL/TLS."
    )
    check_page(page, "ux-queue-request")


def test_an_admin_lands_on_failing_mailboxes_and_the_trends(watched, app, world):
    page = watched.page
    log_in(page, app, "ada-admin")
    assert page.url == f"{app}/review/"
    rows = page.locator("table.review-list tbody tr")
    assert rows.count() == 2  # 13 failures, two mailboxes
    # The state now, in the words every page uses (monitoring/state.py).
    assert "Failed" in rows.first.inner_text() and "Connected" in rows.nth(1).inner_text()
    check_page(page, "ux-review-list")
    page.goto(f"{app}/review/grouped/")
    assert page.locator("svg.chart-wide rect.bar").count() >= 12
    assert "no provider (a-rather-long-company-domain.example)" in page.inner_text("table.trends")
    check_page(page, "ux-review-trends")
    page.goto(f"{app}/review/tests/{world['failed'].pk}/")
    check_page(page, "ux-review-test")
    page.click("details.transcript summary")
    page.focus("details.transcript pre")  # the transcript box is reachable by keyboard
    assert page.evaluate("document.activeElement.tagName") == "PRE"


def test_the_menu_folds_behind_a_button_on_a_phone(watched, app, world):
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, app, "pat@example.test")
    button = page.locator("header button[data-menu-button]")
    assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert not page.locator("#site-nav").is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-nav >> text=Connect a mailbox").is_visible()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not button.is_visible() and page.locator("#site-nav").is_visible()


def test_times_show_in_the_viewers_zone_and_relative_when_recent(browser, app, world):
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB")
    page = context.new_page()
    try:
        log_in(page, app, "pat@example.test")
        stamp = page.locator("table.list time").first
        assert stamp.inner_text() == "2 days ago"
        tested = Mailbox.objects.get(pk=world["good"].pk).last_tested_at
        tokyo = tested.astimezone(timezone.get_fixed_timezone(9 * 60))
        title = stamp.get_attribute("title")
        assert f"{tokyo:%H:%M}" in title and "GMT+9" in title, title
    finally:
        context.close()
