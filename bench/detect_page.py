"""Autodetection in the page: from the address field losing focus (Tab) to the detected
settings standing in the form's fields, for a custom domain found by MX through a
local DNS server (its MX is Fastmail's in1-smtp.messagingengine.com, so the answer is
smtp.fastmail.com / imap.fastmail.com).

The app runs as people run it (bench/stack.py): web and worker processes, on the default
tier (`make run`) and on PostgreSQL + Redis (gunicorn, DEBUG=0); both get
DNS_NAMESERVERS=<the loopback DNS server> and no ISPDB, so no lookup leaves 127.0.0.1.
Each run uses a fresh domain: answers are cached per domain.

The clock runs in the page: performance.now() at the field's blur, then a check every
4 ms (a script sets a field's value without any DOM event to observe) until both
server fields hold the detected names.

    .venv/bin/python bench/detect_page.py [--runs 20] [--warmup 2] [--tiers default,postgres] [--write]
"""

import secrets
import statistics
import sys
import time
from datetime import date

from stack import TIER_LABELS, App

from chromium import Problems, chromium, new_context, sign_up, timing_parser
from loopback import Loopback
from results import machine, ms, percentile, problems_line, write_section

TARGET_MS = 300
WAIT_MS = 15_000
EXPECTED = {"smtp_host": "smtp.fastmail.com", "imap_host": "imap.fastmail.com"}
# A person's detection budget is a few dozen new domains per window: sign up afresh
# well before it runs out.
LOOKUPS_PER_ACCOUNT = 20

ARM = """
([expected, waitMs]) => {
  const email = document.querySelector('input[name=email]');
  window.benchDetect = {blur: null, filled: null, focus: null};
  const filled = () => Object.entries(expected).every(
    ([name, value]) => (document.querySelector(`[name=${name}]`) || {}).value === value);
  email.addEventListener('blur', () => {
    const state = window.benchDetect;
    state.blur = performance.now();
    const check = () => {
      if (filled()) {
        state.filled = performance.now();
        const active = document.activeElement;
        state.focus = active ? active.name || active.tagName : null;
        clearInterval(timer);
      } else if (performance.now() - state.blur > waitMs) {
        clearInterval(timer);
      }
    };
    const timer = setInterval(check, 2);  // Chromium runs it every 4 ms at best
    check();
  }, {once: true});
}
"""


# The hint requests on the page's clock, relative to the blur: the first answer (the
# lookup is queued, the form shows "Looking up…"), and the last request's start (made
# when the pushed event said the answer is stored).
HINTS = """
() => {
  const state = window.benchDetect;
  const hints = performance.getEntriesByType('resource').filter((r) => r.name.includes('/provider-hint/')
    && r.startTime >= state.blur - 1 && r.startTime <= state.filled);
  if (!hints.length) return {first: null, last: null, count: 0};
  return {first: hints[0].responseEnd - state.blur, last: hints[hints.length - 1].startTime - state.blur,
          count: hints.length};
}
"""


def detect_once(page, base: str, domain: str) -> tuple[float | None, str, dict]:
    """(blur → filled seconds or None on timeout, what had focus then, the hint requests)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{base}/mailboxes/new/")
    page.wait_for_load_state("load")
    page.evaluate(ARM, [EXPECTED, WAIT_MS])
    page.fill("input[name=email]", f"someone@{domain}")
    page.keyboard.press("Tab")
    try:
        page.wait_for_function("() => window.benchDetect.filled !== null", timeout=WAIT_MS + 1000)
    except PlaywrightTimeout:
        shown = page.evaluate(
            "() => ['smtp_host', 'imap_host'].map(n => (document.querySelector(`[name=${n}]`) || {}).value)"
        )
        print(f"{domain}: not filled within {WAIT_MS} ms; fields show {shown}", file=sys.stderr)
        return None, "", {}
    state = page.evaluate("() => window.benchDetect")
    return (state["filled"] - state["blur"]) / 1000, state["focus"] or "", page.evaluate(HINTS)


def run_tier(tier: str, browser, lo: Loopback, domains: list[str], warmup: int, budget: float) -> dict:
    result = {"times": [], "misses": 0, "focus": {}, "hints": [], "problems": Problems()}
    ends = time.monotonic() + budget
    with App(tier, env=lo.app_env()) as app:
        context = page = None
        for i, domain in enumerate(domains):
            if time.monotonic() > ends:
                print(f"{tier}: time budget spent after {len(result['times'])} runs", file=sys.stderr)
                break
            if i % LOOKUPS_PER_ACCOUNT == 0:
                if context is not None:
                    context.close()
                context = new_context(browser)
                page = context.new_page()
                result["problems"].watch(page)
                sign_up(page, app.url, f"detect-{tier}-{i}")
            elapsed, focus, hints = detect_once(page, app.url, domain)
            if i < warmup:
                continue
            if elapsed is None:
                result["misses"] += 1
                continue
            result["times"].append(elapsed)
            result["hints"].append(hints)
            result["focus"][focus] = result["focus"].get(focus, 0) + 1
            print(f"{tier} {i - warmup + 1}: {elapsed * 1000:.0f} ms")
        if context is not None:
            context.close()
    return result


def report(results: dict, runs: int, warmup: int, version: str) -> str:
    lines = [
        f"Recorded by `make bench-detect-page` (bench/detect_page.py) on {date.today().isoformat()}: "
        f"{machine()}; Chromium {version}.",
        "",
        "Chromium on the connect form: fill the address at a custom domain (fresh per run, so "
        "never cached) whose MX is Fastmail's `in1-smtp.messagingengine.com`, press Tab, and time in "
        "the page from the field's blur to smtp.fastmail.com and imap.fastmail.com standing in the "
        "server fields. Loopback DNS server (DNS_NAMESERVERS), no ISPDB; the cascade runs in the "
        f"worker process. {runs} runs per tier after {warmup} warm-up runs.",
        "",
        "| tier | blur → settings in the form p50 / p95 / max ms | not filled within 15 s | "
        "focus after Tab, when filled | target | met? |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    for tier, r in results.items():
        times = r["times"]
        if not times:
            lines.append(
                f"| {TIER_LABELS[tier]} | not measured | {r['misses']} | | ≤ {TARGET_MS} ms | **no** |"
            )
            continue
        focus = ", ".join(f"{name or '(none)'} {count}/{len(times)}" for name, count in r["focus"].items())
        if percentile(times, 0.95) * 1000 <= TARGET_MS and not r["misses"]:
            met = "yes (p95)"
        elif percentile(times, 0.5) * 1000 <= TARGET_MS:
            met = "median only"
        else:
            met = "**no**"
        lines.append(
            f"| {TIER_LABELS[tier]} | {ms(times)} / {ms(times, 0.95)} / {max(times) * 1000:.0f} | "
            f"{r['misses']} | {focus} | ≤ {TARGET_MS} ms | {met} |"
        )
    lines += [
        "",
        "Where the time goes (median ms after the blur, resource timing of the form's hint requests):",
        "",
        "| tier | first hint answered (lookup queued) | last hint request starts (answer pushed) "
        "| hint requests per run |",
        "| --- | ---: | ---: | ---: |",
    ]
    for tier, r in results.items():
        firsts = [h["first"] / 1000 for h in r["hints"] if h.get("first") is not None]
        lasts = [h["last"] / 1000 for h in r["hints"] if h.get("last") is not None]
        counts = [h["count"] for h in r["hints"] if h]
        if counts:
            lines.append(f"| {tier} | {ms(firsts)} | {ms(lasts)} | {statistics.median(counts):.0f} |")
    lines += [
        "",
        "Prior numbers (issue 10, by hand, not re-measured): on the default tier the old page never "
        'filled the settings ("Looking up…" until it gave up: the answer sat in the worker\'s '
        "local-memory cache); with REDIS_URL it filled them in about 1 s, polling.",
        "",
        problems_line({tier: r["problems"] for tier, r in results.items()}),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = timing_parser(__doc__, runs=20, warmup=2, minutes=10)
    args = parser.parse_args()
    tiers = [t for t in args.tiers.split(",") if t]
    tag = secrets.token_hex(3)
    domains = {t: [f"fm{i}-{t}-{tag}.test" for i in range(args.warmup + args.runs)] for t in tiers}
    mx = [[10, "in1-smtp.messagingengine.com."], [20, "in2-smtp.messagingengine.com."]]
    records = [[d, "MX", mx] for names in domains.values() for d in names]
    results = {}
    with Loopback([], "", records) as lo, chromium() as browser:
        for tier in tiers:
            results[tier] = run_tier(tier, browser, lo, domains[tier], args.warmup, args.minutes * 60)
        version = browser.version
    table = report(results, args.runs, args.warmup, version)
    print(table)
    if args.write:
        write_section("Autodetection in the page", table)


if __name__ == "__main__":
    main()
