"""MX step: a custom domain's mail servers name its provider (Workspace, Microsoft
365, Zoho by region, Fastmail...)."""

from .. import directory
from ..words import N_
from . import dnsq
from .model import HIGH, IMAP, MX, SMTP, Finding, SourceFailed
from .sources import from_endpoint


def lookup(ctx) -> Finding:
    try:
        hosts = dnsq.mx_hosts(ctx.domain, ctx.config.probe, ctx.dns_timeout())
    except dnsq.DNSFailure as exc:
        if exc.kind == "nxdomain":
            ctx.domain_missing = True
            raise SourceFailed(
                N_("The domain {domain} does not exist in DNS.").format(domain=ctx.domain), status="nothing"
            ) from None
        raise SourceFailed(exc.detail, status="timeout" if exc.kind == "timeout" else "failed") from None
    if hosts == ["."]:
        raise SourceFailed(
            N_("{domain} publishes a null MX: it receives no email.").format(domain=ctx.domain),
            status="nothing",
        )
    match = directory.lookup_mx(hosts)
    if match is None:
        detail = (
            N_("MX {hosts}: no known provider.").format(hosts=", ".join(hosts[:3]))
            if hosts
            else N_("No MX record.")
        )
        finding = Finding(MX, mx_hosts=hosts)
        finding.notes.append(detail)
        return finding
    provider, host, _fingerprint = match
    smtp, imap = provider.servers(hosted=True)
    return Finding(
        MX,
        smtp=from_endpoint(SMTP, smtp, MX, HIGH, host),
        imap=from_endpoint(IMAP, imap, MX, HIGH, host),
        provider_id=provider.id,
        authoritative=True,
        mx_hosts=hosts,
    )
