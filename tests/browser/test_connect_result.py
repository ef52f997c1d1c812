"""Connecting a mailbox and reading the result, in Chromium at 1280 and 390 px: no
sideways overflow, no serious axe-core finding (tests/browser/a11y.py), a screenshot of
each state in var/screenshots/connect-*.png, and the flows a person goes through.

The provider is iCloud-style: a directory entry (added for the test) whose servers are
a real SMTP server and Dovecot on 127.0.0.1, with the local part as IMAP username. A
real Celery worker tests the mailbox.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestStep
from diagnostics.net import directory
from diagnostics.net.directory import deep_links
from diagnostics.net.directory.model import LOCAL_PART, NOT_RECOMMENDED, Provider, ssl, starttls
from live.publish import publish
from tests.browser.a11y import check_page
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Cl0udy-app-pässword"
APP_PASSWORD_HELP = "https://help.cloudy.example/app-passwords"


@pytest.fixture
def person(make_user, watched, app):
    """A signed-in user (the session cookie is set directly: sign-up has tests of its own)."""
    user = make_user("casey")
    sign_in(watched.page.context, app, user)
    return user


@pytest.fixture
def make_cloudy(monkeypatch, dovecot, smtp_server):
    """An iCloud-style provider in the directory: STARTTLS submission with the address,
    implicit-TLS IMAP with the local part, an app password with a deep link."""

    def make(folders=("Sent", "Drafts", "Trash")) -> dict:
        local = dovecot.unique_username("cloudy").partition("@")[0]
        domain = f"cloudy-{uuid.uuid4().hex[:8]}.test"
        address = f"{local}@{domain}"
        smtp = smtp_server(security="starttls", users={address: PASSWORD})
        dovecot.add_user(local, PASSWORD, folders=list(folders))
        provider = Provider(
            "cloudy",
            "Cloudy Mail",
            (domain,),
            policy=NOT_RECOMMENDED,
            smtp=starttls("127.0.0.1", smtp.port),
            imap=ssl("127.0.0.1", dovecot.port_ssl, LOCAL_PART),
            notes=("Cloudy Mail needs an app-specific password from your account settings.",),
            help_url="https://help.cloudy.example/mail",
        )
        monkeypatch.setitem(directory._BY_DOMAIN, domain, provider)
        monkeypatch.setitem(directory._BY_ID, provider.id, provider)
        monkeypatch.setitem(deep_links.LINKS, (provider.id, "app_password"), APP_PASSWORD_HELP)
        return {"address": address, "local": local, "smtp": smtp}

    return make


@pytest.fixture
def cloudy(make_cloudy):
    return make_cloudy()


def _visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def _type_address_and_password(page, address: str, password: str) -> None:
    page.fill("input[name=email]", address)
    page.keyboard.press("Tab")
    page.wait_for_selector("#provider-panel >> text=We found the settings for Cloudy Mail")
    page.keyboard.type(password)


def _result(page, selector: str) -> None:
    page.wait_for_selector(f"#test-status {selector}", timeout=40_000)


def test_the_address_and_the_password_connect_with_the_servers_folded(
    watched, app, person, cloudy, celery_worker
):
    page = watched.page
    page.goto(f"{app}/mailboxes/new/")
    check_page(page, "connect-empty")
    _type_address_and_password(page, cloudy["address"], PASSWORD)
    # What detection found, in one quiet line; no field, and no port, is in sight.
    assert page.inner_text("#provider-panel .servers-line") == "127.0.0.1"
    assert page.eval_on_selector("#server-settings", "d => d.open") is False
    assert not _visible(page, "[name=smtp_port]") and not _visible(page, "[name=username]")
    assert not re.search(r"\b(587|993|465|143)\b", page.inner_text("main"))
    check_page(page, "connect-found")
    # The username sits in the disclosure, filled in; iCloud-style IMAP takes the local part.
    page.click("#server-settings > summary")
    assert page.input_value("[name=username]") == cloudy["address"]
    assert page.input_value("[name=imap_username]") == cloudy["local"]
    page.click("#server-settings > summary")

    page.click("text=Connect and test")
    _result(page, ".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    assert page.eval_on_selector("details.servers-folded", "d => d.open") is False
    assert page.eval_on_selector("details.technical", "d => d.open") is False
    assert not re.search(r"\b(587|993)\b", page.inner_text("main"))  # the ports stay folded away
    check_page(page, "connect-connected")
    saved = Mailbox.objects.get(user=person)
    assert (saved.login_name("smtp"), saved.login_name("imap")) == (cloudy["address"], cloudy["local"])


def test_the_same_address_twice_offers_the_mailbox_already_there(watched, app, person, cloudy, celery_worker):
    existing = Mailbox(user=person, email=cloudy["address"], smtp_host="127.0.0.1", imap_host="127.0.0.1")
    existing.set_password(PASSWORD)
    existing.save()
    page = watched.page
    page.goto(f"{app}/mailboxes/new/")
    _type_address_and_password(page, cloudy["address"].upper(), PASSWORD)
    notice = page.locator("#provider-panel .duplicate")
    assert "You already connected this address: edit it or test again." in notice.inner_text()
    check_page(page, "connect-same-address")
    page.click("text=Connect and test")  # anyway: still one row, and the same offer
    notice.wait_for()
    assert Mailbox.objects.filter(user=person).count() == 1
    notice.get_by_role("button", name="test again").click()
    page.wait_for_url(f"**/mailboxes/{existing.pk}/")
    _result(page, ".badge")
    assert existing.tests.count() == 1 and Mailbox.objects.filter(user=person).count() == 1


def test_a_wrong_password_is_fixed_from_the_result_page_in_one_step(
    watched, app, person, cloudy, celery_worker
):
    page = watched.page
    page.goto(f"{app}/mailboxes/new/")
    _type_address_and_password(page, cloudy["address"], "not-the-app-password")
    page.click("text=Connect and test")
    _result(page, ".badge.failed")
    status = page.locator("#test-status")
    # One message for both servers, with the provider's step and its link, and the field.
    assert page.inner_text("#result-heading .headline") == (
        f"Your password was not accepted by {cloudy['address']}’s mail server."
    )
    assert status.locator("article.error-report").count() == 1
    assert "Cloudy Mail takes only an app password" in status.inner_text()
    assert status.locator(f"a[href='{APP_PASSWORD_HELP}']").count() == 1
    assert "authentication error" not in status.inner_text().split("Technical details")[0].lower()
    assert status.locator("input[name=retype_password]").count() == 1
    check_page(page, "connect-wrong-password")

    page.fill("input[name=retype_password]", PASSWORD)
    page.click("#test-status form.retype button[type=submit]")
    _result(page, ".badge.connected")
    assert PASSWORD not in page.content()
    watched.shot("fixed")


def test_no_sent_folder_is_almost_done_with_the_right_folder_first(
    watched, app, person, make_cloudy, celery_worker
):
    cloudy = make_cloudy(folders=("Drafts", "Trash", "Junk", "Kunden", "Postausgang"))
    page = watched.page
    page.goto(f"{app}/mailboxes/new/")
    _type_address_and_password(page, cloudy["address"], PASSWORD)
    page.click("text=Connect and test")
    _result(page, "#folder-choice")
    assert page.inner_text("#result-heading") == "Almost done: choose the folder that holds your sent mail."
    assert page.locator("#test-status .badge.failed").count() == 0
    options = page.eval_on_selector_all("#folder-choice option", "os => os.map(o => o.value)")
    assert options[0] == "Postausgang" and options[-4:] == ["INBOX", "Drafts", "Trash", "Junk"]
    check_page(page, "connect-almost-done")
    page.click("text=Use this folder")
    _result(page, ".badge.connected")
    assert page.inner_text(".sent-folder") == "Postausgang"


def test_progress_shows_the_step_and_the_outcome_is_announced_once_in_a_region_that_stays(
    watched, app, person
):
    mailbox = Mailbox(user=person, email="casey@slow.example", smtp_host="127.0.0.1", imap_host="127.0.0.1")
    mailbox.imap_security = "ssl"
    mailbox.set_password(PASSWORD)
    mailbox.save()
    test = ConnectionTest.objects.create(
        mailbox=mailbox,
        status="running",
        settings=mailbox.settings_snapshot(),
        started_at=timezone.now() - timedelta(seconds=3),
        deadline_at=timezone.now() + timedelta(minutes=5),
    )
    for name in ("dns", "connect"):
        TestStep.objects.create(test=test, protocol="imap", name=name, ok=True, ms=4)
    page = watched.page
    page.goto(f"{app}/mailboxes/{mailbox.pk}/")
    page.wait_for_selector("[sse-connect]", state="attached")
    line = page.locator("[data-progress=imap]")
    assert "waiting for the IMAP server’s TLS handshake…" in line.inner_text()
    assert "We wait up to 8 s" in page.inner_text("#test-status")
    first = int(line.locator(".elapsed").inner_text().split()[0])
    page.wait_for_timeout(2100)
    assert int(line.locator(".elapsed").inner_text().split()[0]) >= first + 2  # ticks without a fetch
    check_page(page, "connect-in-progress")

    page.evaluate("document.getElementById('result-live').dataset.kept = 'yes'")
    page.focus("#result-heading")
    page.evaluate("document.activeElement.blur()")
    TestStep.objects.create(test=test, protocol="imap", name="tls", ok=True, ms=9)
    publish(f"test-{test.pk}")
    page.wait_for_function(
        "() => document.querySelector('[data-progress=imap]').innerText.includes('greeting')"
    )
    assert page.inner_text("#result-live") == ""  # steps are not announced

    ConnectionTest.objects.filter(pk=test.pk).update(status="connected", sent_folder="Sent")
    publish(f"test-{test.pk}")
    _result(page, ".badge.connected")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'result-heading'")
    assert page.evaluate("document.getElementById('result-live').dataset.kept") == "yes"  # the same element
    assert page.inner_text("#result-live") == "Connected: Sending and receiving work."
    assert page.locator("#result-live").count() == 1


# Every word of the servers' own (the .token elements) on one line, and no word of the
# page broken inside: a text node's line boxes split a word when a line ends in a letter
# and the next one starts with a letter of the same word.
MID_WORD_BREAKS = """
() => {
  const found = [];
  document.querySelectorAll('#test-status .token').forEach((el) => {
    const line = parseFloat(getComputedStyle(el).lineHeight) || 20;
    if (el.getClientRects().length > 1 || el.getBoundingClientRect().height > 1.6 * line) {
      found.push(el.textContent);
    }
  });
  const walker = document.createTreeWalker(document.querySelector('#test-status'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || !node.parentElement.offsetParent) continue;
    const text = node.textContent;
    const range = document.createRange();
    let top = null;
    for (let i = 0; i < text.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (!rect.height) continue;
      if (top !== null && rect.top > top + 2 && /\\w/.test(text[i]) && i > 0 && /\\w/.test(text[i - 1])) {
        found.push(text.slice(Math.max(0, i - 8), i + 8));
      }
      top = rect.top;
    }
  }
  return found;
}
"""


def test_the_connected_page_at_390_px_folds_the_servers_words_and_breaks_none(watched, app, person):
    mailbox = Mailbox(user=person, email="casey@example.test", smtp_host="127.0.0.1", imap_host="127.0.0.1")
    mailbox.set_password(PASSWORD)
    mailbox.save()
    ConnectionTest.objects.create(
        mailbox=mailbox,
        status="connected",
        sent_folder="Gesendete Elemente",
        settings=mailbox.settings_snapshot(),
        capabilities={
            "smtp": ["AUTH PLAIN LOGIN XOAUTH2", "SIZE 35882577", "8BITMIME", "PIPELINING", "SMTPUTF8"],
            "imap": ["IMAP4rev1", "IDLE", "CONDSTORE", "QRESYNC", "UIDPLUS", "MOVE", "SPECIAL-USE"],
            "inbox": {"readable": True, "messages": 12345, "uidvalidity": 1733500000, "uidnext": 98765},
        },
        domain_checks={
            "spf": {
                "status": "missing",
                "detail": "No SPF record.",
                "advice": "Add one.",
                "fix": {
                    "type": "TXT",
                    "name": "example.test",
                    "value": "v=spf1 include:_spf.example.net ~all",
                },
            },
            "dmarc": {"status": "ok", "detail": "DMARC present.", "advice": "", "fix": None},
        },  # fmt: skip
        round_trip_requested=True,
        delivery_status="delivered",
        round_trip={
            "status": "delivered",
            "folder": "INBOX",
            "latency_ms": 2100,
            "cleaned_up": True,
            "sent_filing": "needs_append",
            "wait_seconds": 60,
        },  # fmt: skip
    )
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{app}/mailboxes/{mailbox.pk}/")
    # For people: the verdict, the delivery, three plain lines; the tokens are folded away.
    assert page.inner_text("#delivery .trip") == "Delivered to the inbox in 2.1 s."
    assert page.locator(".can-do li").count() == 3
    assert "1 suggestion for better delivery" in page.inner_text(".domain-fold > summary")
    assert not page.locator("text=UIDVALIDITY").is_visible()
    page.click("details.technical > summary")
    page.click(".domain-fold > summary")
    assert page.locator("text=UIDVALIDITY").first.is_visible()
    assert page.evaluate(MID_WORD_BREAKS) == []
    check_page(page, "connect-connected-details", widths=(390,))
