"""The ISPDB (Thunderbird's shared database), at AUTOCONFIG_ISPDB_URL: for the
domain, then for the registrable domain of its MX (custom domains at a hoster)."""

from ..directory import registrable
from ..words import N_
from .autoconfig import NotPublished, fetch_and_parse
from .model import HIGH, ISPDB, MEDIUM, MX, Finding, SourceFailed


def _get(ctx, key: str, confidence: str) -> Finding | None:
    url = ctx.config.ispdb_url.rstrip("/") + "/" + key
    try:
        return fetch_and_parse(url, ctx.domain, ISPDB, confidence, ctx)
    except NotPublished:
        return None  # not in the database


def lookup(ctx) -> Finding:
    if not ctx.config.ispdb_url:
        raise SourceFailed(N_("The ISPDB is switched off (AUTOCONFIG_ISPDB_URL is empty)."), status="skipped")
    found = _get(ctx, ctx.domain, HIGH)
    if found is not None:
        return found
    mx = ctx.wait_for(MX)
    hosts = [h for h in (mx.mx_hosts if mx else []) if h != "."]
    if not hosts:
        raise SourceFailed(
            N_("The ISPDB has no entry for {domain}.").format(domain=ctx.domain), status="nothing"
        )
    by_mx = registrable(hosts[0])
    if by_mx == ctx.domain:
        raise SourceFailed(
            N_("The ISPDB has no entry for {domain}.").format(domain=ctx.domain), status="nothing"
        )
    found = _get(ctx, by_mx, MEDIUM)
    if found is None:
        raise SourceFailed(
            N_("The ISPDB has no entry for {domain} or {other}.").format(domain=ctx.domain, other=by_mx),
            status="nothing",
        )
    found.notes.append(
        N_("Found in the ISPDB under {domain}, the domain of the MX host {host}.").format(
            domain=by_mx, host=hosts[0]
        )
    )
    return found
