"""Debian's Chromium under Playwright for the browser benchmarks (the launch flags of
tests/browser), plus the steps a person takes before anything is timed."""

import argparse
import os
import re
from contextlib import contextmanager

from stack import ROOT, TIERS  # noqa: F401 (ROOT puts the project on sys.path)

from tests.browser.conftest import LAUNCH_ARGS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ACCOUNT_PASSWORD = "a-long enough pw 42"


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def timing_parser(doc: str, runs: int, warmup: int, minutes: float) -> argparse.ArgumentParser:
    """The options every browser benchmark takes; a benchmark adds its own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--tiers", default=",".join(TIERS))
    parser.add_argument("--minutes", type=float, default=minutes, help="time budget per tier")
    parser.add_argument("--write", action="store_true")
    return parser


class Problems:
    """Console errors and page errors seen while timing: reported, not fatal."""

    def __init__(self):
        self.seen: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.seen.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda m: m.type == "error" and self.seen.append(f"console: {m.text[:200]}"),
        )

    def summary(self) -> str:
        if not self.seen:
            return "none"
        distinct = sorted(set(self.seen))
        return f"{len(self.seen)} ({'; '.join(distinct[:3])}{' …' if len(distinct) > 3 else ''})"


def new_context(browser, init_script: str = ""):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    if init_script:
        context.add_init_script(init_script)
    return context


def sign_up(page, base: str, username: str) -> None:
    page.goto(f"{base}/signup/")
    # The account is named by a username or by an email address, whichever the form asks.
    if page.locator("#id_username").count():
        page.fill("#id_username", username)
    if page.locator("#id_email").count():
        page.fill("#id_email", f"{username}@accounts.example.test")
    page.fill("#id_password1", ACCOUNT_PASSWORD)
    page.fill("#id_password2", ACCOUNT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/mailboxes/new/$"))
