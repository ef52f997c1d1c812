"""Watchers: 1,000 open mailbox pages on ONE web process, each waiting for its test.

The app runs as `make run` starts it (uvicorn, one process, SQLite and the file broker;
`--tier postgres`: PostgreSQL + Redis under gunicorn with one uvicorn worker). The
benchmark seeds 1,000 mailboxes, each with a running test, for one signed-in user,
reads one mailbox page to learn the stream and refresh URLs the page declares, then:

1. Push (this design): 1,000 pages open their stream (httpx, one asyncio loop), which
   brings their partial in each event (a bare event makes the page fetch it, as htmx
   does). Once they settle, 30 s of
   idle: the web process's memory, file descriptors, threads and CPU, and the requests
   it logs (target: none; heartbeats arrive on the open streams). Then a separate
   process marks the 1,000 tests connected and publishes `test-<id>` and
   `mailbox-<id>` for each, as the worker does: the time until every page has its
   event, and until every page has a partial that says "Connected".
2. Poll (the old design), same web process, same run: the tests back to running,
   1,000 pollers GET the status partial once a second each for 30 s (requests/s, CPU,
   latency), then the same finish, and the time until every poller has seen it.

    .venv/bin/python bench/watchers.py [--pages 1000] [--idle 30] [--tier default] [--write]
"""

import argparse
import asyncio
import html
import json
import os
import re
import resource
import sys
import time
import urllib.request
from datetime import date

from stack import ROOT, App, proc_status, raise_fd_limit

from results import machine, percentile, write_section
from watcher_clients import PAGES_PER_POOL, Page, Poller, client
from watcher_data import reset_tests, seed, setup_django

SETTLE_SECONDS = 6  # the refreshes' keep-alive connections close (uvicorn: 5 s)
OPEN_CONCURRENCY = 50  # pages opening at the same moment
PHASE_BOUND = 180  # seconds: no phase waits longer than this
POSTGRES_PAGES = 40
SERVERS = {
    "default": "uvicorn, one process, on the default tier (SQLite; events through the database)",
    "postgres": "gunicorn with one uvicorn worker, DEBUG=0, PostgreSQL + Redis (events through Redis)",
}


async def run_finisher(app: App, pairs_file: str) -> dict:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "watcher_data.py"),
        pairs_file,
        cwd=ROOT,
        env=app.env,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), PHASE_BOUND)
    if proc.returncode != 0:
        raise RuntimeError("the finishing process failed")
    return json.loads(out.decode().strip().splitlines()[-1])


def page_urls(app: App, cookie: tuple[str, str], first: tuple[int, int]) -> tuple[str, str, bool]:
    """Stream and refresh URL templates as the mailbox page declares them; the flag says
    whether the page declared them (else the documented contract is used)."""
    mailbox_id, test_id = first
    request = urllib.request.Request(
        f"{app.url}/mailboxes/{mailbox_id}/", headers={"Cookie": "=".join(cookie)}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
        if not response.url.endswith(f"/mailboxes/{mailbox_id}/"):
            raise RuntimeError(f"the seeded session does not sign in: redirected to {response.url}")
    stream = re.search(r'sse-connect="([^"]+)"', page)
    refresh = re.search(r'hx-get="([^"]+)"[^>]*hx-trigger="[^"]*sse:', page) or re.search(
        r'hx-trigger="[^"]*sse:[^"]*"[^>]*hx-get="([^"]+)"', page
    )
    if not stream or not refresh:
        return "/live/?topics=test-{test},mailbox-{mailbox}", "/mailboxes/{mailbox}/status/", False

    def template(url: str) -> str:
        url = html.unescape(url).replace("{", "{{").replace("}", "}}")
        url = re.sub(rf"test-{test_id}(?!\d)", "test-{test}", url)
        url = re.sub(rf"mailbox-{mailbox_id}(?!\d)", "mailbox-{mailbox}", url)
        return re.sub(rf"/mailboxes/{mailbox_id}/", "/mailboxes/{mailbox}/", url)

    return template(stream[1]), template(refresh[1]), True


ACCESS_LINE = re.compile(r'"(?:GET|POST|HEAD) \S+ HTTP/1\.[01]" \d{3}')


def served_requests(app: App) -> int:
    """Requests the web process has logged (uvicorn's or gunicorn's access log)."""
    return len(ACCESS_LINE.findall(app.log("web")))


def snapshot(app: App) -> dict:
    (pid,) = app.serving_pids
    stats = proc_status(pid)
    stats["requests"] = served_requests(app)
    stats["db"] = app.database_connections(pid)
    stats["client_cpu_s"] = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    stats["at"] = time.monotonic()
    return stats


async def until(condition, bound: float, step: float = 0.05) -> bool:
    ends = time.monotonic() + bound
    while not condition():
        if time.monotonic() > ends:
            return False
        await asyncio.sleep(step)
    return True


def spread(samples: list[float]) -> dict:
    if not samples:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    return {
        "p50": percentile(samples, 0.5),
        "p95": percentile(samples, 0.95),
        "max": max(samples),
        "n": len(samples),
    }


def pools(cookie: tuple[str, str], base: str, count: int) -> list:
    """One httpx client per PAGES_PER_POOL pages, as browsers do not share one pool either."""
    return [client(*cookie, base) for _ in range(0, count, PAGES_PER_POOL)]


async def close_pools(clients: list) -> None:
    await asyncio.sleep(0.2)
    await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


async def push_phase(app, cookie, pairs, urls, pairs_file, idle: float) -> dict:
    stream_url, refresh_url, _ = urls
    clients = pools(cookie, app.url, len(pairs))
    pages = [
        Page(clients[i // PAGES_PER_POOL], stream_url.format(mailbox=m, test=t),
             refresh_url.format(mailbox=m, test=t), f"test-{t}")
        for i, (m, t) in enumerate(pairs)
    ]  # fmt: skip
    out = {"before": snapshot(app)}
    opened = asyncio.Semaphore(OPEN_CONCURRENCY)
    for page in pages:
        page.start(opened)
    await until(lambda: all(p.settled for p in pages), PHASE_BOUND)
    out["opened"] = snapshot(app)
    out["open_fetches"] = sum(len(p.fetches) for p in pages)
    out["open_pushed"] = sum(p.pushed for p in pages)
    out["streams"] = sum(1 for p in pages if p.opened_at and not p.closed_by_page and not p.failed)
    await asyncio.sleep(SETTLE_SECONDS)

    def counts():
        return (sum(len(p.events) for p in pages), sum(len(p.heartbeats) for p in pages),
                sum(len(p.fetches) for p in pages), sum(p.connects for p in pages))  # fmt: skip

    out["idle_start"], idle_counts = snapshot(app), counts()
    await asyncio.sleep(idle)
    out["idle_end"] = snapshot(app)
    out["idle_events"], out["idle_heartbeats"], out["idle_fetches"], out["idle_reconnects"] = (
        b - a for a, b in zip(idle_counts, counts(), strict=True)
    )
    armed = time.monotonic()
    finished = await run_finisher(app, pairs_file)
    committed = finished["committed"]
    await until(lambda: all(p.first_connected_after(armed) or p.failed for p in pages), PHASE_BOUND)
    out["after"] = snapshot(app)
    events = [p.first_event_after(armed) for p in pages]
    shown = [p.first_connected_after(armed) for p in pages]
    out["event_after_publish"] = spread(
        [e - pub for e, pub in zip(events, finished["published"], strict=True) if e]
    )
    out["event_after_commit"] = spread([e - committed for e in events if e])
    out["shown_after_commit"] = spread([s - committed for s in shown if s])
    out["publish_seconds"] = finished["published"][-1] - committed
    out["finish_fetches"] = sum(1 for p in pages for f in p.fetches if f[0] >= armed)
    out["finish_pushed"] = sum(p.pushed for p in pages) - out["open_pushed"]
    out["closed_by_page"] = sum(p.closed_by_page for p in pages)
    out["failed"] = sum(p.failed for p in pages)
    errors = [e for p in pages for e in p.errors]
    out["errors"] = {e: errors.count(e) for e in sorted(set(errors))}
    for page in pages:
        page.stop()
    await close_pools(clients)
    return out


async def poll_phase(app, cookie, pairs, pairs_file, window: float) -> dict:
    clients = pools(cookie, app.url, len(pairs))
    pollers = [
        Poller(clients[i // PAGES_PER_POOL], f"/mailboxes/{m}/status/") for i, (m, _) in enumerate(pairs)
    ]
    ends = time.monotonic() + 1 + window + PHASE_BOUND
    tasks = [asyncio.create_task(p.run(i / len(pollers), ends)) for i, p in enumerate(pollers)]
    await asyncio.sleep(1.0)  # every poller has started
    out = {"start": snapshot(app)}
    await asyncio.sleep(window)
    out["end"] = snapshot(app)
    begin, end = out["start"]["at"], out["end"]["at"]
    done = [r for p in pollers for r in p.requests if begin <= r[1] < end]
    out["completed"] = len(done)
    out["errors"] = sum(1 for r in done if r[2] != 200)
    out["latency"] = spread([r[1] - r[0] for r in done])
    finished = await run_finisher(app, pairs_file)
    await until(lambda: all(p.connected_at for p in pollers), PHASE_BOUND)
    out["after"] = snapshot(app)
    out["shown_after_commit"] = spread(
        [p.connected_at - finished["committed"] for p in pollers if p.connected_at]
    )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await close_pools(clients)
    return out


def _s(value: float | None, unit: float = 1000, digits: int = 0) -> str:
    return "–" if value is None else f"{value * unit:,.{digits}f}"


def _times(d: dict) -> str:
    if not d["n"]:
        return "none"
    return f"{_s(d['p50'])} / {_s(d['p95'])} / {_s(d['max'])} ms ({d['n']:,})"


def report(tier: str, pages: int, idle: float, push: dict, poll: dict, declared: bool) -> str:
    a, o, b, c = push["before"], push["opened"], push["idle_start"], push["idle_end"]
    p0, p1 = poll["start"], poll["end"]
    window = p1["at"] - p0["at"]
    idle_requests = c["requests"] - b["requests"]
    poll_rps = (p1["requests"] - p0["requests"]) / window

    def cpu(x, y, key="cpu_s"):
        return f"{(y[key] - x[key]) / (y['at'] - x['at']) * 100:.0f} %"

    if not push["streams"]:
        raise RuntimeError(f"no stream opened: {push['errors']}")
    streams = push["streams"]
    per_page_kb = (c["rss_mb"] - a["rss_mb"]) * 1024 / streams
    thread_per_stream = c["threads"] - a["threads"] >= streams // 2
    errors = ", ".join(f"{k} × {v}" for k, v in push["errors"].items()) or "none"
    lines = [
        f"Recorded by `make bench-watchers` (bench/watchers.py) on {date.today().isoformat()}: {machine()}.",
        "",
        f"{pages:,} open mailbox pages, each waiting for its own running test, on ONE web process: "
        f"{SERVERS[tier]}; no worker (a separate process finishes the tests). The pages are httpx "
        "clients in one asyncio loop of the benchmark's process (same 2 cores), signed in as one user. "
        "Each opens the stream its page declares, which renders the page's partial for it and sends it "
        "in each event (live/partial.py); a bare event makes the page fetch the partial itself, as htmx "
        "does (queue last). Waiting is measured once the opening events have settled. The "
        "finish is a separate process that marks all tests connected in one transaction, then "
        "publishes `test-<id>` and `mailbox-<id>` per test, as the worker does. The old design, same "
        f"web process, same run: {pages:,} pollers GET the status partial once a second each (htmx "
        "`every 1s`, a tick dropped while the last request is in flight). The web process runs at "
        f"most {os.environ.get('WEB_MAX_CONCURRENT_REQUESTS', '8 (the default)')} requests through "
        "Django at once (`WEB_MAX_CONCURRENT_REQUESTS`); the others wait their turn in its event loop.",
        "",
        f"| while {pages:,} pages wait ({idle:.0f} s) | push (this design) | poll once a second (old design) "
        "| target | met? |",
        "| --- | --- | --- | --- | --- |",
        f"| requests/s the server logged | {idle_requests / (c['at'] - b['at']):.1f} ({idle_requests} requests) "
        f"| {poll_rps:,.0f} ({poll['completed']:,} answered, {poll['errors']} errors) | 0 | "
        f"{'yes' if idle_requests == 0 else '**no**'} |",
        f"| events / heartbeats on the open streams | {push['idle_events']} / {push['idle_heartbeats']:,} "
        f"(one per stream every 20 s) | – | | |",
        f"| web process CPU (of one core) | {cpu(b, c)} | {cpu(p0, p1)} | | |",
        f"| web process RSS | {a['rss_mb']:.0f} MB with no page → {c['rss_mb']:.0f} MB ({per_page_kb:.0f} KB a page) "
        f"| {p1['rss_mb']:.0f} MB | | |",
        f"| open file descriptors | {a['fds']} → {c['fds']:,} | {p1['fds']:,} | | |",
        f"| threads | {a['threads']} → {c['threads']:,} | {p1['threads']:,} | no thread held by an idle stream "
        f"| {'**no**' if thread_per_stream else 'yes'} |",
        f"| database connections held | {a['db']} → {c['db']} | {p1['db']} | none held by an idle stream | "
        f"{'yes' if c['db'] - a['db'] < streams // 10 else '**no**'} |",
        f"| status request latency p50 / p95 / max | – | {_times(poll['latency'])} | | |",
        f"| load generator CPU (of one core) | {cpu(b, c, 'client_cpu_s')} | {cpu(p0, p1, 'client_cpu_s')} "
        "| | |",
        "",
        f"| all {pages:,} tests finish | push (this design) | poll once a second (old design) |",
        "| --- | --- | --- |",
        f"| event at the page, after its own publish, p50 / p95 / max | {_times(push['event_after_publish'])} "
        "| – |",
        f"| event at the page, after the commit | {_times(push['event_after_commit'])} | – |",
        f'| "Connected" at the page, after the commit | {_times(push["shown_after_commit"])} | '
        f"{_times(poll['shown_after_commit'])} |",
        f"| web process CPU / load generator CPU, from the finish until every page showed it | "
        f"{cpu(c, push['after'])} / {cpu(c, push['after'], 'client_cpu_s')} | "
        f"{cpu(p1, poll['after'])} / {cpu(p1, poll['after'], 'client_cpu_s')} |",
        "",
        f"Opening: {push['streams']:,} streams in {o['at'] - a['at']:.1f} s ({OPEN_CONCURRENCY} pages "
        f"opening at a time), {push['open_fetches']:,} partials on the opening events "
        f"({push['open_pushed']:,} in the stream's events, the rest fetched by the pages), "
        f"web process CPU {cpu(a, o)}. Finish: publishing the {2 * pages:,} topics took "
        f"{push['publish_seconds']:.2f} s in the finishing process; the pages got "
        f"{push['finish_fetches']:,} partials ({push['finish_pushed']:,} in the stream's events), and the "
        f"last one closed {push['closed_by_page']:,} "
        f"streams (nothing left to wait for). Pages that gave up: {push['failed']}; client-side "
        f"errors: {errors}.",
    ]
    finish_s = push["after"]["at"] - c["at"]
    push_p50, poll_p50 = push["shown_after_commit"]["p50"], poll["shown_after_commit"]["p50"]
    if push_p50 is not None and poll_p50 is not None:
        lines += [
            "",
            f"Reading: while pages wait, push costs the web process {cpu(b, c)} of a core and no request; "
            f"polling keeps it at {cpu(p0, p1)} answering {poll_rps:,.0f} requests a second, each "
            f"{_s(poll['latency']['p50'], 1, 1)} s late at the median. When every test ends at "
            "once, both designs wait on the same thing: one process rendering one status partial per "
            f"page (push: {push['finish_fetches']:,} partials in {finish_s:.0f} s, "
            f"{push['finish_fetches'] / finish_s:.0f} a second). Push renders one partial per page and "
            "event, in the order the events arrive; the pollers already had a request waiting in the queue. "
            f"So the medians are close ({push_p50:.1f} s push, {poll_p50:.1f} s poll): the burst is bound "
            "by rendering, and more web processes (gunicorn workers) divide it. One test's own result "
            "reaches its page in the time bench/e2e.py measures.",
        ]
    if not declared:
        lines.append("The mailbox page declared no stream: the documented URLs were used instead.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30)
    parser.add_argument("--tier", choices=("default", "postgres"), default="default")
    parser.add_argument("--app-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for the web process, e.g. CONN_MAX_AGE=0 (repeatable)")  # fmt: skip
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.pages <= 5000 or not 1 <= args.idle <= 300:
        sys.exit("--pages must be 1-5000 and --idle 1-300 s")
    if args.tier == "postgres" and args.pages > POSTGRES_PAGES:
        # Each open page has held a database connection: more would take the shared
        # server's last connections from everyone else.
        sys.exit(
            f"--tier postgres runs at most {POSTGRES_PAGES} pages (PostgreSQL allows 100 connections here)"
        )
    extra = dict(item.split("=", 1) for item in args.app_env)
    raise_fd_limit(4 * args.pages + 4096)
    with App(args.tier, env=extra, web_workers=1, access_log=True, worker=False) as app:
        setup_django(app.env)
        from django.db import connections

        cookie_name, session_key, pairs = seed(args.pages)
        connections.close_all()
        pairs_file = app.scratch / "pairs.json"
        pairs_file.write_text(json.dumps(pairs))
        cookie = (cookie_name, session_key)
        urls = page_urls(app, cookie, pairs[0])
        print(f"stream {urls[0]}, refresh {urls[1]}", file=sys.stderr)
        push = asyncio.run(push_phase(app, cookie, pairs, urls, str(pairs_file), args.idle))
        reset_tests(pairs)
        connections.close_all()
        poll = asyncio.run(poll_phase(app, cookie, pairs, str(pairs_file), args.idle))
    table = report(args.tier, args.pages, args.idle, push, poll, urls[2])
    if extra:
        table += (
            "\n\nWeb process settings changed for this run: "
            + ", ".join(f"{k}={v}" for k, v in extra.items())
            + "."
        )
    print(table)
    if args.write:
        write_section("Watchers", table)


if __name__ == "__main__":
    main()
