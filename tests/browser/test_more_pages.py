"""The sign-in, health, import and fleet pages at 1280 and 390 px: no sideways overflow and
no serious or critical axe-core finding (screenshots in var/screenshots/ux-*)."""

import pytest

from core.roles import ADMIN, grant
from tests.browser.a11y import check_page
from tests.browser.pages import PASSWORD, log_in

# Screenshots go to a folder of the test's own.
pytestmark = [pytest.mark.usefixtures("media_root"), pytest.mark.django_db(transaction=True)]


def test_a_users_health_import_and_sign_in_pages_pass_at_both_widths(watched, app, world):
    page = watched.page
    log_in(page, app, "pat@example.test")
    for name, path in [
        ("ux-mailbox-health", f"/mailboxes/{world['good'].pk}/"),
        ("ux-alert-settings", "/settings/alerts/"),
        ("ux-import-new", "/imports/"),
        ("ux-sso-not-configured", "/connect/sso/google/"),
    ]:
        page.goto(f"{app}{path}")
        check_page(page, name)


def test_the_fleet_view_passes_at_both_widths(watched, app, world, make_user):
    admin = make_user("fleet-admin@example.test", PASSWORD)
    grant(admin, ADMIN)
    page = watched.page
    log_in(page, app, "fleet-admin@example.test")
    page.goto(f"{app}/health/fleet/")
    check_page(page, "ux-fleet")
