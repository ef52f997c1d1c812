"""The connect form as a person uses it, in Chromium: the live server, a real worker that
runs autodetection against a local DNS server, the answer pushed to the page, and real
SMTP and IMAP servers on 127.0.0.1.

Every domain gets RFC 6186 SRV records naming STARTTLS submission and implicit-TLS IMAP
on high ports of 127.0.0.1; `dns.delay()` holds its answers to make detection late.
"""

import time
import uuid

import pytest

from tests.browser.disclosure import open_settings
from tests.conftest import spawn_worker
from tests.servers.dns import LocalDNS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = "Brows3r-Pässword"
QUEUE = f"connect-form-{uuid.uuid4().hex[:8]}"
DEADLINE = 6  # AUTOCONFIG_DEADLINE in both processes


@pytest.fixture(scope="module")
def dns():
    server = LocalDNS()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def detect_worker(dns, test_database_url, pki, tmp_path_factory):
    """A worker of its own: the session's worker has no DNS server to ask."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DNS_NAMESERVERS", dns.nameservers)
        env.setenv("AUTOCONFIG_ISPDB_URL", "")
        env.setenv("AUTOCONFIG_DEADLINE", str(DEADLINE))
        log = tmp_path_factory.mktemp("connect-form-worker") / "worker.log"
        worker = spawn_worker(test_database_url, pki, log, queue=QUEUE)
    yield worker
    worker.proc.terminate()
    worker.proc.wait(timeout=15)


@pytest.fixture
def site(app, settings, dns, detect_worker):
    settings.DNS_NAMESERVERS = [dns.nameservers]
    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
    settings.AUTOCONFIG_ISPDB_URL = ""
    settings.AUTOCONFIG_DEADLINE = DEADLINE
    # Under the live server's WSGI a stream the page closed holds its thread (and its
    # database connection) until the next write: keep that short.
    settings.LIVE_HEARTBEAT_SECONDS = 1.0
    return app


@pytest.fixture
def mailbox(dns, dovecot, smtp_server):
    """A fresh domain whose SRV records point at a Dovecot user and an SMTP server."""
    domain = f"d{uuid.uuid4().hex[:10]}.test"
    address = f"jane@{domain}"
    dovecot.add_user(address, PASSWORD, folders=["Sent", "Drafts"])
    smtp = smtp_server(security="starttls", users={address: PASSWORD})
    dns.add(f"_submission._tcp.{domain}", "SRV", [(0, 1, smtp.port, "127.0.0.1.")])
    dns.add(f"_imaps._tcp.{domain}", "SRV", [(0, 1, dovecot.port_ssl, "127.0.0.1.")])
    return {"domain": domain, "address": address, "smtp_port": smtp.port, "imap_port": dovecot.port_ssl}


@pytest.fixture
def signed_in(watched, site, django_user_model):
    django_user_model.objects.create_user(username="person", password="a-long enough pw 42")
    page = watched.page
    page.goto(f"{site}/login/")
    page.fill("#id_username", "person")
    page.fill("#id_password", "a-long enough pw 42")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    hints: list[float] = []  # when each answer of the hint endpoint arrived
    page.on("response", lambda r: hints.append(time.monotonic()) if "/provider-hint/" in r.url else None)
    page.goto(f"{site}/mailboxes/new/")
    page.focus("input[name=email]")
    return page, hints


def value(page, name: str) -> str:
    return page.input_value(f"[name={name}]")


def focused(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name || ''")


def settings_open(page) -> bool:
    return page.eval_on_selector("#server-settings", "d => d.open")


def wait_for_answer(page, mailbox) -> None:
    """Until the form shows what the SRV records say (the untouched IMAP port)."""
    page.wait_for_function(
        "port => document.querySelector('[name=imap_port]').value === port",
        arg=str(mailbox["imap_port"]),
        timeout=(DEADLINE + 10) * 1000,
    )


def connect_and_see_connected(watched, mailbox) -> None:
    page = watched.page
    page.click("text=Connect and test")
    page.wait_for_selector(".badge.connected")
    assert page.inner_text(".sent-folder") == "Sent"
    watched.shot("connected")
    from accounts.models import Mailbox

    saved = Mailbox.objects.get(email=mailbox["address"])
    assert (saved.smtp_host, saved.smtp_port, saved.smtp_security) == (
        "127.0.0.1",
        mailbox["smtp_port"],
        "starttls",
    )
    assert (saved.imap_host, saved.imap_port, saved.imap_security) == (
        "127.0.0.1",
        mailbox["imap_port"],
        "ssl",
    )


def test_the_address_and_the_password_alone_connect_on_the_first_try(watched, signed_in, mailbox):
    page, _ = signed_in
    assert (value(page, "smtp_port"), value(page, "smtp_security")) == ("587", "starttls")
    page.fill("input[name=email]", mailbox["address"])
    page.fill("input[name=password]", PASSWORD)
    wait_for_answer(page, mailbox)
    assert value(page, "smtp_port") == str(mailbox["smtp_port"])
    assert value(page, "smtp_security") == "starttls" and value(page, "imap_security") == "ssl"
    watched.shot("detected")
    connect_and_see_connected(watched, mailbox)


def test_typing_as_a_person_does_with_tab_and_pauses_connects_on_the_first_try(watched, signed_in, mailbox):
    page, _ = signed_in
    page.keyboard.type(mailbox["address"], delay=60)
    page.wait_for_timeout(800)
    page.keyboard.press("Tab")
    assert focused(page) == "password"
    page.wait_for_timeout(600)
    page.keyboard.type(PASSWORD, delay=90)
    assert focused(page) == "password" and value(page, "password") == PASSWORD
    wait_for_answer(page, mailbox)
    connect_and_see_connected(watched, mailbox)


def test_a_late_answer_keeps_every_typed_value_and_fills_the_rest(watched, signed_in, mailbox, dns):
    page, _ = signed_in
    dns.delay(mailbox["domain"], 2.0)
    started = time.monotonic()
    typed = {
        "password": PASSWORD,
        "username": "jane-typed",
        "smtp_host": "smtp.typed.example",
        "smtp_port": "2525",
        "imap_host": "imap.typed.example",
    }
    page.fill("input[name=email]", mailbox["address"])
    open_settings(page)
    for name, text in typed.items():
        page.fill(f"[name={name}]", text)
    wait_for_answer(page, mailbox)
    assert time.monotonic() - started > 1.9, "the answer was not late"
    page.wait_for_timeout(300)  # anything else the answer would do, it has done
    watched.shot("late-answer")
    for name, text in typed.items():
        assert value(page, name) == text, name
    assert value(page, "imap_security") == "ssl"  # untouched: filled
    assert value(page, "smtp_security") == "starttls", "follows the person's port, not the answer"
    assert focused(page) == "imap_host"
    assert page.eval_on_selector("details.advanced", "d => d.open") is False
    assert settings_open(page), "the person opened Edit settings: the found answer leaves it open"
    smtp_notice = page.inner_text("#autofill-notice-smtp")
    assert f"say 127.0.0.1:{mailbox['smtp_port']}, STARTTLS" in smtp_notice
    assert page.locator("#autofill-notice-imap").count() == 1  # host typed, the answer differs
    assert page.locator("#autofill-notice-login").count() == 1  # jane-typed vs the address
    # The submitted marks agree: the server keeps the typed values too.
    assert value(page, "auto_smtp_host") != "smtp.typed.example"
    assert value(page, "auto_imap_port") == str(mailbox["imap_port"])


def test_typing_slowly_into_a_field_while_the_answer_arrives_loses_and_adds_nothing(
    watched, signed_in, mailbox, dns
):
    page, hints = signed_in
    dns.delay(mailbox["domain"], 2.0)
    text = "imap.typed-slowly.example"
    page.fill("input[name=email]", mailbox["address"])
    open_settings(page)
    page.click("input[name=imap_host]")
    page.keyboard.press("Control+A")
    started = time.monotonic()
    page.keyboard.type(text, delay=150)
    ended = time.monotonic()
    assert any(started < at < ended for at in hints), "no answer arrived while typing"
    wait_for_answer(page, mailbox)
    assert value(page, "imap_host") == text
    assert focused(page) == "imap_host"
    caret = page.eval_on_selector("[name=imap_host]", "el => [el.selectionStart, el.selectionEnd]")
    assert caret == [len(text), len(text)]
    assert value(page, "smtp_port") == str(mailbox["smtp_port"])  # untouched: filled meanwhile


def test_the_password_typed_after_tab_goes_into_the_password_field(watched, signed_in, mailbox, dns):
    page, hints = signed_in
    dns.delay(mailbox["domain"], 1.0)
    page.keyboard.type(mailbox["address"], delay=20)
    page.keyboard.press("Tab")
    started = time.monotonic()
    page.keyboard.type(PASSWORD, delay=150)
    ended = time.monotonic()
    assert any(started < at < ended for at in hints), "no answer arrived while typing"
    assert value(page, "password") == PASSWORD
    assert focused(page) == "password"
    wait_for_answer(page, mailbox)
    assert focused(page) == "password"


def test_a_disagreement_is_shown_beside_the_field_and_used_only_on_click(watched, signed_in, mailbox):
    page, _ = signed_in
    page.fill("input[name=email]", mailbox["address"])
    open_settings(page)
    page.fill("input[name=smtp_host]", "smtp.typed.example")
    notice = page.locator("#smtp-settings #autofill-notice-smtp")
    notice.wait_for(timeout=(DEADLINE + 10) * 1000)
    assert f"say 127.0.0.1:{mailbox['smtp_port']}, STARTTLS" in notice.inner_text()
    page.wait_for_timeout(500)
    assert value(page, "smtp_host") == "smtp.typed.example"  # nothing changes by itself
    watched.shot("notice")
    notice.get_by_role("button", name="Use these").click()
    assert value(page, "smtp_host") == "127.0.0.1"
    assert (value(page, "smtp_port"), value(page, "smtp_security")) == (str(mailbox["smtp_port"]), "starttls")
    assert page.locator("#autofill-notice-smtp").count() == 0
    assert focused(page) == "smtp_host"
    page.fill("input[name=password]", PASSWORD)
    connect_and_see_connected(watched, mailbox)


def test_tab_after_a_pause_reaches_the_password_not_the_providers_help_link(watched, signed_in):
    page, _ = signed_in
    page.keyboard.type("me@fastmail.com", delay=40)
    page.wait_for_selector("#provider-panel >> text=Fastmail help")  # the answer is in
    page.wait_for_timeout(300)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD, delay=20)
    assert focused(page) == "password" and value(page, "password") == PASSWORD
    assert value(page, "imap_host") == "imap.fastmail.com"


def test_a_port_brings_its_encryption_unless_the_person_chose_one(watched, signed_in):
    page, _ = signed_in
    open_settings(page)
    page.fill("input[name=smtp_port]", "465")
    assert value(page, "smtp_security") == "ssl"
    page.fill("input[name=smtp_port]", "587")
    assert value(page, "smtp_security") == "starttls"
    page.select_option("select[name=imap_security]", "starttls")  # the person's choice
    page.fill("input[name=imap_port]", "993")
    assert value(page, "imap_security") == "starttls"


def test_an_answer_never_swaps_the_panel_out_from_under_the_focused_help_link(watched, signed_in):
    page, _ = signed_in
    page.fill("input[name=email]", "me@fastmail.com")
    page.keyboard.press("Tab")
    page.wait_for_selector("#provider-panel >> text=Fastmail help")
    page.focus("#provider-panel a")  # the person is on the help link when the next answer arrives
    with page.expect_response(lambda r: "/provider-hint/" in r.url):
        page.evaluate(
            "() => { const email = document.querySelector('[name=email]');"
            " email.value = 'me@icloud.com'; email.dispatchEvent(new Event('change', {bubbles: true})); }"
        )
    page.wait_for_function("() => document.querySelector('[name=imap_host]').value === 'imap.mail.me.com'")
    assert page.evaluate("document.activeElement.textContent") == "Fastmail help"  # still there, focused
    page.keyboard.press("Shift+Tab")  # the person moves on: now the panel catches up
    page.wait_for_selector("#provider-panel >> text=iCloud")
    assert page.locator("#provider-panel >> text=Fastmail").count() == 0


def test_the_fields_fold_away_while_detection_looks_and_stay_folded_when_it_finds(
    watched, signed_in, mailbox, dns
):
    page, _ = signed_in
    dns.delay(mailbox["domain"], 1.0)
    page.fill("input[name=email]", mailbox["address"])
    page.keyboard.press("Tab")
    assert not settings_open(page)
    wait_for_answer(page, mailbox)
    page.wait_for_selector("#provider-panel >> text=We found the settings for")
    assert not settings_open(page) and not page.is_visible("[name=smtp_port]")
    watched.shot("found-folded")


@pytest.fixture
def nothing(dns):
    """A domain with no records at all: every source comes back empty (late, by 1.5 s)."""
    domain = f"n{uuid.uuid4().hex[:10]}.test"
    dns.delay(domain, 1.5)
    return f"jane@{domain}"


def test_finding_nothing_shows_the_fields_without_moving_focus(watched, signed_in, nothing):
    page, _ = signed_in
    page.keyboard.type(nothing, delay=20)
    page.keyboard.press("Tab")
    assert not settings_open(page)
    started = time.monotonic()
    page.keyboard.type(PASSWORD, delay=120)  # typing while the answer arrives
    page.wait_for_function(
        "() => document.getElementById('server-settings').open", timeout=(DEADLINE + 10) * 1000
    )
    assert time.monotonic() - started > 1.0, "the answer was not late"
    assert focused(page) == "password" and value(page, "password") == PASSWORD
    assert "We found no settings" in page.inner_text("#provider-panel")
    assert page.is_visible("[name=smtp_host]")
    watched.shot("nothing-found")


def test_the_persons_open_or_closed_choice_wins_over_a_late_answer(watched, signed_in, nothing):
    page, _ = signed_in
    page.fill("input[name=email]", nothing)
    page.keyboard.press("Tab")
    page.click("#server-settings > summary")  # open...
    page.click("#server-settings > summary")  # ...and closed again: the person's choice
    page.focus("input[name=password]")
    page.wait_for_selector("#provider-panel >> text=We found no settings", timeout=(DEADLINE + 10) * 1000)
    page.wait_for_timeout(300)
    assert not settings_open(page)
