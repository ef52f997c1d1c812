"""The end-to-end benchmark's report with the round trip on (bench/e2e.py): per tier and
SMTP server, the click to the verdict against the floor, and the click to the delivery
check's outcome beside it."""

import statistics
from datetime import date

from stack import TIER_LABELS

from results import machine, ms, problems_line

# `make run`'s defaults: a mailbox's first test runs the round trip, which waits up to 60 s.
ROUND_TRIP_ON = {"MAIL_ROUND_TRIP_ON_FIRST_TEST": "1", "MAIL_ROUND_TRIP_DEADLINE": "60"}
TARGET_MS = 150
SERVER_LABELS = {
    "delivers": "delivers into Dovecot (LMTP)",
    "never": "accepts, never delivers",
}


def _seconds(runs: list[dict], key: str) -> list[float]:
    return [run[key] / 1000 for run in runs if run.get(key) is not None]


def report_round_trip(results: dict, runs: int, warmup: int, browser_version: str) -> str:
    lines = [
        f"Recorded by `make bench-e2e` (bench/e2e.py) on {date.today().isoformat()}: {machine()}; "
        f"Chromium {browser_version}.",
        "",
        "With `make run`'s defaults: a mailbox's first test runs the round trip (a test message "
        "sent to itself and looked for, up to `MAIL_ROUND_TRIP_DEADLINE`, 60 s), which now follows "
        "the verdict as a phase of its own. Playwright drives Chromium as a person (sign up, fill "
        'the connect form, click "Connect and test"); the clock runs in the page from the click to '
        'the moment "Connected" enters the DOM (the verdict), and to the moment the delivery panel '
        "shows its outcome. Servers: Dovecot (IMAPS, LMTP) and two loopback STARTTLS submission "
        "servers, alternating run by run: one delivers into Dovecot, one accepts the message and "
        "never delivers it. Floor, after each browser run: smtplib (STARTTLS, AUTH) and imaplib "
        f"(TLS, LOGIN, LIST) at once in two threads, same servers. {runs} runs per server and tier "
        f"after {warmup} warm-up runs.",
        "",
        '| tier | SMTP server | runs | click → "Connected" p50 / p95 ms | floor p50 / p95 ms '
        '| added at the median | target | met? | "Testing…" still shown with Connected '
        "| click → delivery outcome p50 / p95 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for tier, by_server in results.items():
        for name, r in by_server.items():
            ours = _seconds(r["runs"], "connected")
            if not ours:
                lines.append(
                    f"| {TIER_LABELS[tier]} | {SERVER_LABELS[name]} | 0 | not measured | | | | | | |"
                )
                continue
            added = (statistics.median(ours) - statistics.median(r["floor"])) * 1000
            met = "yes" if added <= TARGET_MS else "**no**"
            shown = _seconds(r["runs"], "delivery")
            written = _seconds(r["runs"], "delivery_written")
            # In the page when the benchmark waited for it; else when the worker wrote it.
            outcome = shown if len(shown) == len(ours) else written
            where = "" if outcome is shown else " (written)"
            states = sorted({run.get("delivery_status") or "?" for run in r["runs"]})
            testing = sum(1 for run in r["runs"] if run.get("testing"))
            lines.append(
                f"| {TIER_LABELS[tier]} | {SERVER_LABELS[name]} | {len(ours)} | {ms(ours)} / {ms(ours, 0.95)} "
                f"| {ms(r['floor'])} / {ms(r['floor'], 0.95)} | **{added:+.0f} ms** | ≤ +{TARGET_MS} ms | {met} "
                f"| {testing} of {len(ours)} | {ms(outcome)} / {ms(outcome, 0.95)}{where}: {', '.join(states)} |"
            )
    lines += [
        "",
        "Where the verdict's time goes: median ms after the click (page clock, and the test row's "
        "timestamps on the same machine clock).",
        "",
    ]
    columns = [
        (tier, name) for tier, by_server in results.items() for name, r in by_server.items() if r["runs"]
    ]
    lines += [
        "| milestone | " + " | ".join(f"{tier}, {name}" for tier, name in columns) + " |",
        "| --- |" + " ---: |" * len(columns),
    ]
    milestones = {
        "html": "mailbox page's HTML in",
        "stream": "page's stream open",
        "created": "test row created",
        "started": "worker started the test",
        "finished": "worker wrote the verdict",
        "event": "event with the verdict at the page",
        "connected": '"Connected" in the DOM',
        "delivery": "delivery outcome in the DOM (when waited for)",
        "delivery_written": "delivery outcome written by the worker",
    }
    for key, label in milestones.items():
        cells = [ms(_seconds(results[tier][name]["runs"], key)) for tier, name in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The never-delivering server's page is left for the next run once the verdict is in, so its "
        "outcome is the time the worker wrote it (`delivery_finished_at`), which is its deadline: the "
        "page shows it with the next pushed event. The figures with the round trip off (section "
        '"End to end") are kept as recorded there.',
        "",
        problems_line(
            {tier: next(iter(by_server.values()))["problems"] for tier, by_server in results.items()}
        ),
    ]
    return "\n".join(lines)
