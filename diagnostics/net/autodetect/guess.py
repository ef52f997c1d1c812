"""Guessing, the last resort: imap./mail./smtp. and the bare domain on the standard
ports, each checked at the protocol level. Runs only for what no source found."""

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ..words import N_
from .model import DEFAULT, GUESS, IMAP, MEDIUM, SMTP, Finding, Server
from .probe import NotAServer, probe

HOSTS = {IMAP: ("imap", "mail", ""), SMTP: ("smtp", "mail", "")}
# RFC 8314: implicit TLS before STARTTLS. No plain-text ports: we never use them.
PORTS = {IMAP: ((993, "ssl"), (143, "starttls")), SMTP: ((465, "ssl"), (587, "starttls"))}

OAUTH = {"XOAUTH2", "OAUTHBEARER"}


def plan(domain: str, protocol: str) -> list[tuple[str, int, str]]:
    """(host, standard port, security), most preferred first."""
    hosts = [f"{label}.{domain}" if label else domain for label in HOSTS[protocol]]
    return [(host, port, security) for port, security in PORTS[protocol] for host in hosts]


def guess(ctx, protocols: list[str]) -> tuple[Finding, list[str]]:
    """(finding, tried-and-failed lines) within the time left before the deadline."""
    jobs = [(p, host, port, sec) for p in protocols for host, port, sec in plan(ctx.domain, p)]
    finding = Finding(GUESS)
    failures: list[str] = []
    end = ctx.deadline_end
    pool = ThreadPoolExecutor(max(1, len(jobs)), thread_name_prefix="autodetect-guess")
    try:
        futures = {
            pool.submit(
                probe,
                p,
                host,
                ctx.config.port(port),
                sec,
                ctx.config.probe,
                max(0.05, end - time.monotonic()),
            ): (p, host, port, sec)
            for p, host, port, sec in jobs
        }
        order = {p: [f for f, job in futures.items() if job[0] == p] for p in protocols}
        pending = set(futures)
        while True:
            for protocol in protocols:
                if finding.server(protocol) is None:
                    _pick(finding, protocol, order[protocol], futures, failures)
            settled = all(finding.server(p) is not None or all(f.done() for f in order[p]) for p in protocols)
            remaining = end - time.monotonic()
            if settled or not pending or remaining <= 0:
                break
            _done, pending = wait(pending, timeout=remaining, return_when=FIRST_COMPLETED)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return finding, failures


def _pick(finding: Finding, protocol: str, ordered, futures, failures: list[str]) -> None:
    """Take the most preferred candidate once everything preferred to it has failed."""
    for future in ordered:
        if not future.done():
            return
        _p, host, port, security = futures[future]
        try:
            result = future.result()
        except NotAServer as exc:
            line = f"{protocol} {host}:{port} {security}: {exc}"
            if line not in failures:
                failures.append(line)
            continue
        server = Server(
            protocol,
            result.host,
            result.port,
            result.security,
            source=GUESS,
            confidence=MEDIUM,
            origin=f"{result.host}:{result.port}",
            username_source=DEFAULT,
            auth=result.auth,
        )
        if set(result.auth) <= OAUTH:
            finding.notes.append(
                N_("{host} only offers OAuth sign-in, so a password will not work there.").format(
                    host=result.host
                )
            )
        if protocol == SMTP:
            finding.smtp = server
        else:
            finding.imap = server
        return
