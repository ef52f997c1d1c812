"""The cascade: every source at once under one deadline; the highest-priority
success wins, field by field (SMTP and IMAP may come from different sources).

Order: directory (no network, answers alone) > MX > SRV > the domain's autoconfig
over https (autoconfig.<domain>, then .well-known) > ISPDB (domain, then the MX's
domain) > the domain's autoconfig over plain http (only after https found nothing)
> guessing (only for what all of those left unfound, in the time that is left).

A lower-priority answer waits for the sources above it, but at most `grace`
seconds, and nothing waits past the discovery window (a share of the deadline), so
a hanging source never holds a good answer until the deadline.
"""

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .. import directory
from ..directory.names import is_public
from ..words import N_
from . import autoconfig, ispdb, mx, srv
from .config import AutodetectConfig
from .guess import guess
from .model import (
    AUTOCONFIG,
    AUTOCONFIG_HTTP,
    GUESS,
    ISPDB,
    MX,
    NONE,
    PROTOCOLS,
    SRV,
    Discovery,
    Finding,
    Report,
    SourceFailed,
)
from .results import compare, summary
from .sources import from_directory

log = logging.getLogger(__name__)
UNDECIDED = object()
# Kept back from the deadline to assemble and return the answer, so that the caller
# gets it before the deadline rather than at it.
RESERVE = 0.1


class Context:
    """What a source sees: the domain, the knobs, the clock, and the other sources."""

    def __init__(self, domain: str, config: AutodetectConfig, keys: list[str]):
        self.domain = domain
        self.config = config
        self.start = time.monotonic()
        self.window_end = self.start + config.window
        self.deadline_end = self.start + max(0.1, config.deadline - RESERVE)
        self.domain_missing = False
        self._events = {key: threading.Event() for key in keys}
        self._results: dict[str, Finding | None] = {}

    def remaining(self) -> float:
        return max(0.05, self.window_end - time.monotonic())

    def dns_timeout(self) -> float:
        return max(0.05, min(self.config.probe.timeout, self.window_end - time.monotonic()))

    def wait_for(self, key: str) -> Finding | None:
        """Another source's finding (None if it failed or is still running at the window's end)."""
        self._events[key].wait(max(0.0, self.window_end - time.monotonic()))
        return self._results.get(key)

    def finish(self, key: str, finding: Finding | None) -> None:
        self._results[key] = finding
        self._events[key].set()


def _http_after_https(url: str):
    def run(ctx: Context) -> Finding:
        for key in ("autoconfig:0", "autoconfig:1"):
            found = ctx.wait_for(key)
            if found is not None and found.found:
                raise SourceFailed(N_("Not tried: the https file answered."), status="not_needed")
        return autoconfig.fetch_config(url, ctx.domain, False, ctx)

    return run


def _https(url: str):
    return lambda ctx: autoconfig.fetch_config(url, ctx.domain, True, ctx)


def _jobs(domain: str, config: AutodetectConfig) -> list[tuple[str, str, str, object]]:
    """(key, source, origin, run), in priority order."""
    https = autoconfig.urls(domain, config.https_port, config.http_port, secure=True)
    plain = autoconfig.urls(domain, config.https_port, config.http_port, secure=False)
    return [
        ("mx", MX, domain, mx.lookup),
        ("srv", SRV, f"_submissions._tcp.{domain} …", srv.lookup),
        ("autoconfig:0", AUTOCONFIG, https[0], _https(https[0])),
        ("autoconfig:1", AUTOCONFIG, https[1], _https(https[1])),
        ("ispdb", ISPDB, config.ispdb_url, ispdb.lookup),
        ("autoconfig-http:0", AUTOCONFIG_HTTP, plain[0], _http_after_https(plain[0])),
        ("autoconfig-http:1", AUTOCONFIG_HTTP, plain[1], _http_after_https(plain[1])),
    ]


def _run(ctx: Context, key: str, source: str, origin: str, func) -> tuple[Finding | None, Report]:
    started = time.monotonic()
    finding = None
    try:
        finding = func(ctx)
        status = "found" if finding.found else "nothing"
        detail = summary(finding) if finding.found else "; ".join(finding.notes)
    except SourceFailed as exc:
        status, detail = exc.status, exc.detail
    except Exception as exc:  # a bug in one source must not sink the others
        log.exception("autodetect source %s failed", key)
        status, detail = "failed", N_("unexpected error ({error})").format(error=exc.__class__.__name__)
    finally:
        ctx.finish(key, finding)
    return finding, Report(source, status, detail, int((time.monotonic() - started) * 1000), origin)


def _offers(finding: Finding | None, protocol: str) -> bool:
    return finding is not None and (finding.authoritative or finding.server(protocol) is not None)


def _choose(
    protocol: str, order: list[str], done: dict, found_at: dict, now: float, grace: float, closed: bool
):
    """(key, server) for the winner, None when nothing offers it, or UNDECIDED."""
    for index, key in enumerate(order):
        if key not in done:
            if closed:
                continue
            later = [found_at[k] for k in order[index + 1 :] if k in done and _offers(done[k], protocol)]
            if later and now - min(later) >= grace:
                continue
            return UNDECIDED
        finding = done[key]
        if _offers(finding, protocol):
            return key, finding.server(protocol)
    return None


def discover(domain: str, config: AutodetectConfig, complete: bool = False) -> Discovery:
    """Settings for a domain. complete=True waits for every source (up to the window)
    so that all disagreements are seen; otherwise the answer comes as soon as it is sure."""
    known = from_directory(domain)
    if known is not None:
        return known
    if not config.probe.nameservers and not is_public(domain):
        # Public DNS cannot have it (a reserved name like .test, or an ending that is no
        # top-level domain, often a typo): no source can know it, not even the ISPDB.
        detail = N_("{domain} is not a domain of the public Internet: check the address for typos.").format(
            domain=domain
        )
        return Discovery(domain, notes=[detail], reports=[Report(NONE, "nothing", detail, 0, domain)])
    jobs = _jobs(domain, config)
    order = [key for key, *_ in jobs]
    ctx = Context(domain, config, order)
    pool = ThreadPoolExecutor(len(jobs), thread_name_prefix="autodetect")
    futures = {pool.submit(_run, ctx, key, src, origin, func): key for key, src, origin, func in jobs}
    done: dict[str, Finding | None] = {}
    reports: dict[str, Report] = {}
    found_at: dict[str, float] = {}
    try:
        while True:
            now = time.monotonic()
            for future, key in futures.items():
                if future.done() and key not in done:
                    done[key], reports[key] = future.result()
                    if done[key] is not None and done[key].found:
                        found_at[key] = now
            closed = now >= ctx.window_end or len(done) == len(jobs)
            decision = {}
            if closed or not complete:
                decision = {
                    p: _choose(p, order, done, found_at, now, config.grace, closed) for p in PROTOCOLS
                }
            if decision and all(v is not UNDECIDED for v in decision.values()):
                break
            wake = min(
                [ctx.window_end] + [t + config.grace for t in found_at.values() if t + config.grace > now]
            )
            pending = [f for f, key in futures.items() if key not in done]
            wait(pending, timeout=max(0.0, wake - now), return_when=FIRST_COMPLETED)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    result = _assemble(ctx, jobs, done, reports, decision)
    result.elapsed_ms = int((time.monotonic() - ctx.start) * 1000)
    return result


def _assemble(ctx: Context, jobs, done: dict, reports: dict, decision: dict) -> Discovery:
    result = Discovery(ctx.domain)
    winners = {p: v for p, v in decision.items() if v}
    timed_out = time.monotonic() >= ctx.window_end
    for key, source, origin, _func in jobs:
        if key in reports:
            result.reports.append(reports[key])
        elif timed_out:
            result.reports.append(
                Report(source, "timeout", N_("No answer within the time allowed."), 0, origin)
            )
        else:
            result.reports.append(
                Report(source, "not_needed", "A higher-priority source answered first.", 0, origin)
            )
    for protocol, (key, server) in winners.items():
        finding = done[key]
        if finding.authoritative:
            result.provider_id = finding.provider_id
        if server is not None:
            setattr(result, protocol, server)
        for note in finding.notes:
            if note not in result.notes:
                result.notes.append(note)
        result.label = result.label or finding.label
    if winners:
        best = min(winners.values(), key=lambda v: [k for k, *_ in jobs].index(v[0]))
        result.source = done[best[0]].source
    missing = [p for p in PROTOCOLS if p not in winners]
    if missing and not result.provider_id and not ctx.domain_missing and time.monotonic() < ctx.deadline_end:
        _guess(ctx, result, missing, done)
    findings = [f for f in done.values() if f is not None]
    compare(result, findings)
    if not result.provider_id:
        # A server that belongs to a known provider brings its rules (SSO, notes).
        for server in (result.imap, result.smtp):
            provider = directory.by_host(server.host) if server else None
            if provider is not None:
                result.provider_id = provider.id
                break
    _explain_unusable(result, findings)
    if ctx.domain_missing and result.smtp is None and result.imap is None:
        result.notes.append(
            N_("The domain {domain} does not exist in DNS: check the address for typos.").format(
                domain=ctx.domain
            )
        )
    return result


def _explain_unusable(result: Discovery, findings: list[Finding]) -> None:
    """For a protocol still without a server: why the servers a source listed were unusable."""
    for finding in findings:
        for item in finding.unusable:
            if result.server(item["protocol"]) is None and item not in result.unusable:
                result.unusable.append(item)
                if item["detail"] not in result.notes:
                    result.notes.append(item["detail"])


def _guess(ctx: Context, result: Discovery, missing: list[str], done: dict) -> None:
    started = time.monotonic()
    finding, failures = guess(ctx, missing)
    done["guess"] = finding
    for protocol in missing:
        server = finding.server(protocol)
        if server is not None:
            setattr(result, protocol, server)
            if result.source == NONE:
                result.source = GUESS
    result.notes.extend(n for n in finding.notes if n not in result.notes)
    status = "found" if finding.found else "nothing"
    detail = summary(finding) if finding.found else "; ".join(failures[:6]) or N_("No server answered.")
    result.reports.append(Report(GUESS, status, detail, int((time.monotonic() - started) * 1000), ctx.domain))


def identify_by_mx(domain: str, config: AutodetectConfig, timeout: float) -> Discovery | None:
    """The MX step alone with a short timeout: enough to apply a provider's policy
    (a Workspace domain must use Sign in with Google) while a form is being checked."""
    ctx = Context(domain, config, ["mx"])
    ctx.window_end = ctx.start + timeout
    try:
        finding = mx.lookup(ctx)
    except SourceFailed:
        return None
    if not finding.authoritative:
        return None
    return Discovery(
        domain,
        source=MX,
        provider_id=finding.provider_id,
        smtp=finding.smtp,
        imap=finding.imap,
        reports=[Report(MX, "found", summary(finding), int((time.monotonic() - ctx.start) * 1000), domain)],
    )
