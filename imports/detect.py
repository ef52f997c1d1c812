"""Servers for the rows that did not give them: autodetection, once per distinct domain.

Runs where waiting is fine (the worker, the command line), never in a web request;
every domain is looked up at the same time and the whole step has one deadline.
"""

import logging
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.db import close_old_connections, connection

from diagnostics import autodetection
from diagnostics.net import errors
from diagnostics.net.directory import domain_of
from diagnostics.net.words import N_

from . import rows as R

log = logging.getLogger(__name__)

PARALLEL_DOMAINS = 16
MARGIN = 4.0  # seconds past AUTOCONFIG_DEADLINE before the step gives up on a domain


def _detect(email: str):
    try:
        return autodetection.detect(email)
    finally:
        close_old_connections()
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close()


def fill_servers(candidates: list[R.Candidate]) -> int:
    """Fill in what detection found for each pending row missing a server; rows of a
    domain with no answer fail with a message naming the columns to add. Returns the
    number of distinct domains looked up."""
    todo = [c for c in candidates if c.state == R.PENDING and c.missing()]
    by_domain: dict[str, list[R.Candidate]] = {}
    for row in todo:
        by_domain.setdefault(domain_of(row.email), []).append(row)
    if not by_domain:
        return 0
    deadline = settings.AUTOCONFIG_DEADLINE + MARGIN
    pool = ThreadPoolExecutor(
        max_workers=min(PARALLEL_DOMAINS, len(by_domain)), thread_name_prefix="import-detect"
    )
    futures = {domain: pool.submit(_detect, group[0].email) for domain, group in by_domain.items()}
    wait(futures.values(), timeout=deadline)
    pool.shutdown(wait=False, cancel_futures=True)
    for domain, group in by_domain.items():
        future = futures[domain]
        found = None
        if future.done() and not future.cancelled() and future.exception() is None:
            found = future.result()
        elif future.done() and future.exception() is not None:
            log.warning("import: detection failed for a domain", exc_info=future.exception())
        for row in group:
            _apply(row, domain, found)
    return len(by_domain)


def _apply(row: R.Candidate, domain: str, found) -> None:
    if found is None:
        row.fail(
            R.FAILED,
            errors.TIMEOUT,
            N_("Looking up the mail servers of {domain} did not finish in time.").format(domain=domain),
            reason="detection_timeout",
            fix=N_("Add smtp_host and imap_host columns for this row, or check again later."),
        )
        return
    if found.email != row.email:
        # Same domain, another address: the directory or the cache answer at once.
        found = autodetection.detect(row.email, network=False)
    R.apply_policy(row, found.provider)
    if row.state != R.PENDING:
        return
    for protocol in row.missing():
        server = getattr(found, protocol)
        if server is None:
            row.fail(
                R.FAILED,
                errors.INVALID_INPUT,
                N_("No {protocol} server was found for {domain}.").format(
                    protocol=protocol.upper(), domain=domain
                ),
                reason="settings_not_found",
                fix=N_("Add the {host} and {port} columns for this row.").format(
                    host=f"{protocol}_host", port=f"{protocol}_port"
                ),
            )
            return
        row.__dict__.update(
            {
                f"{protocol}_host": server.host,
                f"{protocol}_port": server.port,
                f"{protocol}_security": server.security,
            }
        )
        if not row.username and not getattr(row, f"{protocol}_username") and server.username != row.email:
            row.__dict__[f"{protocol}_username"] = server.username
    if found.provider is not None and not row.provider_id:
        row.provider_id = found.provider.id
