"""Connect → verdict → round trip → delivery panel, in Chromium: a real worker sends the
test message through aiosmtpd into Dovecot (LMTP), or to a server that accepts it and
never delivers. The verdict is on the page as soon as the logins end; the delivery panel
follows, with Sent filing, IDLE and the SPF/DMARC verdicts, all without a reload."""

import uuid
from datetime import UTC, datetime

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
def make_worker(test_database_url, pki, dns_server, tmp_path, settings, monkeypatch):
    """A worker of its own that resolves through the local DNS server and waits
    `deadline` seconds for the test message."""
    workers = []

    def make(deadline: float):
        queue = f"rt-{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv("DNS_NAMESERVERS", dns_server.nameservers)
        monkeypatch.setenv("MAIL_ROUND_TRIP_DEADLINE", str(deadline))
        workers.append(spawn_worker(test_database_url, pki, tmp_path / "worker.log", queue=queue))
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        return workers[-1]

    yield make
    for worker in workers:
        worker.proc.terminate()
        worker.proc.wait(15)


# Stamps, on the page's clock (the machine's), the moment "Connected" enters the page,
# and whether "Testing…" was still anywhere in it then.
STAMP_CONNECTED = """
(() => {
  const check = () => {
    if (window.connectedAt !== undefined) return;
    if (document.querySelector('#result-heading .badge.connected')) {
      window.connectedAt = performance.timeOrigin + performance.now();
      window.testingThen = document.body.innerText.includes('Testing…');
      window.deliveryThen = (document.querySelector('[data-trip]') || {}).dataset?.trip || null;
    }
  };
  new MutationObserver(check).observe(document, {childList: true, subtree: true, characterData: true});
  document.addEventListener('DOMContentLoaded', check);
})();
"""


def _sign_in(watched, app, client, user, cookie_name: str) -> None:
    """A session for `user` in the browser (how one signs up is another page's test)."""
    client.force_login(user)
    cookie = client.cookies[cookie_name]
    watched.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": app}])


def test_connect_runs_the_round_trip_and_the_panel_shows_it_live(
    watched, app, settings, client, user, delivery_dovecot, dns_server, make_worker, pki
):
    make_worker(15)
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
        page.wait_for_selector("[data-trip='delivered']", timeout=45_000)
        watched.shot("panel")
        assert page.evaluate("window.notReloaded === true")
        assert page.locator("#result-heading .badge.connected").count() == 1
        assert page.locator("#result-heading .badge.warn").count() == 0
        assert page.inner_text("#delivery .trip").startswith("Delivered to the inbox in ")
        assert "Notices replies within seconds." in page.inner_text("#capabilities")
        technical = (
            page.inner_text("details.technical")
            if page.eval_on_selector("details.technical", "d => d.open")
            else page.eval_on_selector("details.technical", "d => d.textContent")
        )
        assert "we file one in Sent" in technical
        assert page.eval_on_selector("[data-fact='idle']", "e => e.textContent") == "yes"
        page.click(".domain-fold > summary")
        assert page.get_attribute("[data-check='spf']", "data-status") == "ok"
        assert page.get_attribute("[data-check='dmarc']", "data-status") == "warning"
        assert "p=none" in page.inner_text("[data-check='dmarc']")
        assert len(smtp.messages) == 1
        assert PASSWORD not in page.content()
    finally:
        smtp.stop()


def test_a_server_that_never_delivers_gets_connected_at_once_and_a_warning_later(
    watched, app, settings, client, user, delivery_dovecot, make_worker, pki
):
    from accounts.models import Mailbox
    from diagnostics.models import MailboxVerification

    make_worker(3)
    settings.MAIL_ROUND_TRIP_ON_FIRST_TEST = True
    name = delivery_dovecot.add_user(
        delivery_dovecot.unique_username("browser-nd"), PASSWORD, folders=["Sent", "Junk", "Trash"]
    )
    smtp = start_delivering_smtp(pki, delivery_dovecot, Variant(swallow=True), users={name: PASSWORD})
    try:
        page = watched.page
        page.context.add_init_script(STAMP_CONNECTED)
        _sign_in(watched, app, client, user, settings.SESSION_COOKIE_NAME)
        page.goto(f"{app}/mailboxes/new/")
        fill_connect_form(page, name, smtp.port, "starttls", delivery_dovecot.port_ssl, password=PASSWORD)
        page.click("text=Connect and test")
        page.wait_for_selector("#result-heading .badge.connected", timeout=30_000)
        page.wait_for_function("() => window.connectedAt !== undefined")
        # When Connected came, "Testing…" had gone and the delivery check was still running.
        assert page.evaluate("window.testingThen") is False
        assert page.evaluate("window.deliveryThen") == "running"
        watched.shot("verdict-then-delivery")
        page.wait_for_selector("[data-trip='not_delivered']", timeout=45_000)
        assert page.inner_text("#delivery .trip") == "Not delivered after 3 s."
        assert page.inner_text("#result-heading .badge.warn") == "Not delivered"
        assert page.locator("#result-heading .badge.connected").count() == 1
        assert "Testing…" not in page.inner_text("main")
        watched.shot("not-delivered")

        test = Mailbox.objects.get(user=user, email=name).latest_test()
        logins = test.steps.filter(protocol__in=["smtp", "imap"])
        logins_ended = max(step.created_at for step in logins)
        # The verdict is written as the logins end, and the page shows it then: both well
        # before the round trip's outcome (which waited out its 3 s).
        assert (test.finished_at - logins_ended).total_seconds() < 2
        shown = datetime.fromtimestamp(page.evaluate("window.connectedAt") / 1000, tz=UTC)
        assert (shown - logins_ended).total_seconds() < 2
        assert shown < test.delivery_finished_at
        assert (test.status, test.delivery_status) == ("connected", "not_delivered")
        assert MailboxVerification.objects.get(mailbox=test.mailbox).delivery_status == "not_delivered"
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()
