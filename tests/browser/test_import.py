"""Bulk import in Chromium: upload -> columns -> rows fill in live -> import -> listed."""

import re

import pytest

from accounts.models import Mailbox
from tests.imports.mixed import mixed  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _log_in(page, app, make_user) -> None:
    make_user("importer@example.test", "a-long enough pw 42")
    page.goto(f"{app}/login/")
    page.fill("#id_username", "importer@example.test")
    page.fill("#id_password", "a-long enough pw 42")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/(mailboxes/new/)?$"))


def test_upload_live_results_import_and_the_mailboxes_are_listed(
    watched,
    app,
    celery_worker,
    mixed,  # noqa: F811
    make_user,
):
    page = watched.page
    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/live/" in r.url else None)
    _log_in(page, app, make_user)
    page.goto(f"{app}/imports/")
    page.set_input_files("#id_file", files=[{"name": "boxes.csv", "mimeType": "text/csv",
                                             "buffer": mixed.text.encode()}])  # fmt: skip
    watched.shot("upload")
    page.click("text=Read the file")
    page.wait_for_selector("#mapping-form")
    assert page.input_value("#col_email") == "0" and page.input_value("#col_smtp_port") == "4"
    assert "warmup_enabled" in page.inner_text("main")
    watched.shot("mapping")
    page.click("text=Check and test every row")
    # The rows arrive by push: the page ends with every result and the import button.
    page.wait_for_selector("#import-save button", timeout=60_000)
    watched.shot("results")
    states = page.eval_on_selector_all(
        "tr[data-row]", "els => Object.fromEntries(els.map(e => [e.dataset.row, e.dataset.state]))"
    )
    assert states == {str(n): state for n, (state, _, _) in mixed.expected.items()}
    assert streams, "the page should watch its rows over a live stream"
    assert "Row 8, column smtp_port: The port must be a whole number." in page.inner_text("tr[data-row='8']")
    assert page.locator("tr[data-row='6'] a[href*='/connect/sso/google/']").count() == 1
    for secret in mixed.passwords:
        assert secret not in page.content()

    page.click("text=Import the 2 that connected")
    page.wait_for_url(re.compile(r".*/$"))
    listing = page.inner_text("main")
    watched.shot("listed")
    assert "Imported 2 mailboxes." in listing
    for email in mixed.good:
        assert email in listing
    assert Mailbox.objects.filter(user__username="importer@example.test").count() == 2
