"""Browser fixtures: Debian's Chromium driven by Playwright, against the live server.

Every page a test opens is watched: a console error, an uncaught exception or a CSP
violation fails the test. Screenshots of key steps go to var/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM in test
    # code is still synchronous here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield instance
            instance.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Watched:
    """A page plus everything that went wrong in it."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.problems: list[str] = []
        self.shots = 0
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def shot(self, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = SHOTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def watched(browser, request):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    tracker = Watched(page, request.node.name.replace("/", "_")[:60])
    yield tracker
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:  # leave evidence for CI's log
        tracker.shot("FAILED")
        print(f"--- page at failure: {page.url}\n{page.inner_text('body')[:3000]}")
    context.close()
    assert not tracker.problems, "\n".join(tracker.problems)


@pytest.fixture
def app(live_server, settings):
    """The live server's URL, with the probe settings the worker also uses."""
    settings.ALLOWED_HOSTS = ["*"]
    return live_server.url


def sign_in(context, app: str, user) -> None:
    """Sign `user` in to the browser context by its session cookie (sign-up and the login
    form have tests of their own); any earlier session is dropped."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.clear_cookies()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": app}])


@pytest.fixture
def world(make_user, make_mailbox, make_failed_test):
    """A user with a fixed and a failing mailbox and a support request, an agent, an admin,
    and failures over two weeks (one provider-less domain among them) for the trends."""
    # Imported here: the benchmarks import this module's launch flags without Django.
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from accounts.models import Mailbox
    from core.roles import ADMIN, SUPPORT, grant
    from support import flows
    from support.forms import ScreenshotsField
    from support.models import SavedReply
    from tests.staff_fixtures import image_bytes

    person = make_user("pat@example.test")
    person.email = person.username
    person.save()
    now = timezone.now()
    good = make_mailbox(
        person, email="pat@zoho.example", provider_id="zoho", status="connected", sent_folder="Sent"
    )
    bad = make_mailbox(
        person,
        email="pat.longer.address+sales@a-rather-long-company-domain.example",
        provider_id="",
        status="failed",
    )
    make_failed_test(good, "imap_auth", reason="imap_disabled", created_at=now - timedelta(days=3))
    make_failed_test(good, status="connected", created_at=now - timedelta(days=2))
    Mailbox.objects.filter(pk=good.pk).update(last_tested_at=now - timedelta(days=2))
    for days in range(12):
        latest = make_failed_test(
            bad, "timeout", reason="connect_timeout", created_at=now - timedelta(days=days, hours=1)
        )
    upload = SimpleUploadedFile("what-i-see.png", image_bytes(size=(900, 600)), content_type="image/png")
    request = flows.open_request(
        person,
        latest,
        "It keeps failing since Monday.",
        "pat@home.example",
        ScreenshotsField().clean([upload]),
    )
    agent = make_user("sam-agent")
    grant(agent, SUPPORT)
    admin = make_user("ada-admin")
    grant(admin, ADMIN)
    flows.assign(request, agent)
    SavedReply.objects.create(title="Check the port", text="Your provider expects port 993 with SSL/TLS.")
    return {"person": person, "request": request, "failed": latest, "good": good}
