"""Checks any browser test can run on a page, at each width it cares about:

- nothing overflows sideways (`document.documentElement.scrollWidth <= window.innerWidth`),
  and when something does, which elements stick out;
- axe-core finds no violation of serious or critical impact;
- a full-page screenshot lands in var/screenshots/<name>-<width>.png for people to look at.

    from tests.browser.a11y import check_page
    check_page(watched.page, "queue")                 # 1280 and 390 px
    check_page(page, "form", widths=(390,), ignore={"color-contrast"})

axe-core comes from npm, pinned, and is installed on first use under var/node (tests only;
nothing of it is served by the app). Our pages' CSP refuses inline scripts, so axe is not
added as a <script>: Playwright's `evaluate` runs its source through the DevTools
protocol, which the page's CSP does not govern, and the page itself stays exactly as
served (a CSP violation would still fail the `watched` fixture).
"""

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.14.1"
NODE_DIR = ROOT / "var" / "node"
AXE_FILE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
WIDTHS = (1280, 390)
FAILING_IMPACTS = ("serious", "critical")

_OVERFLOWING = """() => {
  const limit = window.innerWidth;
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit + 0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.classList.length ? "." + [...el.classList].join(".") : "");
      found.push(name + " (right edge " + Math.round(box.right) + ")");
    }
  }
  return found.slice(0, 8);
}"""

_RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n =>
      n.target.join(" ") + ": " + (n.failureSummary || "").split("\\n").slice(0, 2).join(" ")),
  }));
}"""


@functools.cache
def axe_source() -> str:
    """axe.min.js, installed with npm into var/node at the pinned version if missing."""
    installed = NODE_DIR / "node_modules" / "axe-core" / "package.json"
    if not AXE_FILE.exists() or f'"version": "{AXE_VERSION}"' not in installed.read_text():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm is needed once to install axe-core for the accessibility checks"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NODE_DIR),
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            timeout=300,
            capture_output=True,
        )
    return AXE_FILE.read_text()


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: none)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page, ignore=frozenset()) -> list[dict]:
    """Violations of serious or critical impact, except the rule ids in `ignore`."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate(_RUN_AXE)
    return [v for v in found if v["impact"] in FAILING_IMPACTS and v["id"] not in ignore]


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(page, name: str, widths=WIDTHS, ignore=frozenset(), height: int = 900) -> list[Path]:
    """Overflow and axe at each width, with a screenshot of each; fails listing every problem."""
    problems, shots = [], []
    original = page.viewport_size
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)  # let media queries and layout settle
            extra = overflow(page)
            if extra > 0:
                culprits = ", ".join(page.evaluate(_OVERFLOWING))
                problems.append(f"{name} at {width} px is {extra} px too wide: {culprits}")
            for v in axe_violations(page, ignore):
                problems.append(
                    f"{name} at {width} px: axe {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
                )
            shots.append(screenshot(page, f"{name}-{width}"))
    finally:
        if original:
            page.set_viewport_size(original)
    assert not problems, "\n".join(problems)
    return shots
