"""Connect → round trip → capability panel, in Chromium: a real worker sends the test
message through aiosmtpd into Dovecot (LMTP), and the page shows delivery, Sent filing,
IDLE and the SPF/DMARC verdicts from the local DNS server without a reload."""

import uuid

import pytest

from tests.browser.test_flows import fill_connect_form
from tests.conftest import spawn_worker
from tests.servers.delivery import DeliveryDovecot, Variant, start_delivering_smtp

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
PASSWORD = "Round-Tr1p-Pässword"


@pytest.fixture(scope="module")
def delivery_dovecot(pki):
    server = DeliveryDovecot(pki).start()
    yield server
    server.stop()


@pytest.fixture
def dns_worker(test_database_url, pki, dns_server, tmp_path, settings, monkeypatch):
    """A worker of its own that resolves through the local DNS server."""
    queue = f"rt-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("DNS_NAMESERVERS", dns_server.nameservers)
    monkeypatch.setenv("MAIL_ROUND_TRIP_DEADLINE", "15")
    worker = spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue)
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    yield worker
    worker.proc.terminate()
    worker.proc.wait(15)


def _sign_in(watched, app, client, user, cookie_name: str) -> None:
    """A session for `user` in the browser (how one signs up is another page's test)."""
    client.force_login(user)
    cookie = client.cookies[cookie_name]
    watched.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": app}])


def test_connect_runs_the_round_trip_and_the_panel_shows_it_live(
    watched, app, settings, client, user, delivery_dovecot, dns_server, dns_worker, pki
):
    settings.MAIL_ROUND_TRIP_ON_FIRST_TEST = True
    dns_server.add("example.test", "TXT", "v=spf1 ip4:127.0.0.1 -all")
    dns_server.add("_dmarc.example.test", "TXT", "v=DMARC1; p=none; rua=mailto:d@example.test")
    name = delivery_dovecot.add_user(
        delivery_dovecot.unique_username("browser-rt"), PASSWORD, folders=["Sent", "Junk", "Trash"]
    )
    smtp = start_delivering_smtp(pki, delivery_dovecot, Variant(), users={name: PASSWORD})
    try:
        page = watched.page
        _sign_in(watched, app, client, user, settings.SESSION_COOKIE_NAME)
        page.goto(f"{app}/mailboxes/new/")
        fill_connect_form(page, name, smtp.port, "starttls", delivery_dovecot.port_ssl, password=PASSWORD)
        page.click("text=Connect and test")
        page.wait_for_selector("#test-status")
        page.evaluate("window.notReloaded = true")
        # The round trip's own steps are pushed while it runs.
        page.wait_for_selector("[data-trip='running']", timeout=30_000)
        watched.shot("round-trip-running")
        page.wait_for_selector("[data-trip='delivered']", timeout=45_000)
        watched.shot("panel")
        assert page.evaluate("window.notReloaded === true")
        assert page.locator("#result-heading .badge.connected").count() == 1
        panel = page.inner_text("#capabilities")
        assert "Delivered" in panel and "reached INBOX" in panel
        assert "we file one in Sent" in panel
        assert page.inner_text("[data-fact='idle']") == "yes"
        assert "Replies detected within seconds (IDLE)." in panel
        assert page.get_attribute("[data-check='spf']", "data-status") == "ok"
        assert page.get_attribute("[data-check='dmarc']", "data-status") == "warning"
        assert "p=none" in page.inner_text("[data-check='dmarc']")
        assert len(smtp.messages) == 1
        assert PASSWORD not in page.content()
    finally:
        smtp.stop()
