"""RFC 6186 SRV records, preferring implicit TLS as RFC 8314 asks.

RFC 6186 section 6: an SRV answer is not authenticated without DNSSEC, so a target
outside the user's own domain gets medium confidence, not high (unless the target
is a server the directory knows, which then also brings that provider's rules).
"""

from concurrent.futures import ThreadPoolExecutor

from ..directory import host_matches
from ..words import N_
from . import dnsq
from .model import DEFAULT, HIGH, IMAP, MEDIUM, SMTP, SRV, Finding, Server, SourceFailed

# (service, protocol, security), best first within each protocol.
SERVICES = (
    ("_submissions._tcp", SMTP, "ssl"),
    ("_submission._tcp", SMTP, "starttls"),
    ("_imaps._tcp", IMAP, "ssl"),
    ("_imap._tcp", IMAP, "starttls"),
)


def lookup(ctx) -> Finding:
    names = [f"{service}.{ctx.domain}" for service, _, _ in SERVICES]
    timeout = ctx.dns_timeout()
    with ThreadPoolExecutor(len(names)) as pool:
        futures = [pool.submit(dnsq.srv_records, name, ctx.config.probe, timeout) for name in names]
        answers = []
        failures = []
        for future in futures:
            try:
                answers.append(future.result())
            except dnsq.DNSFailure as exc:
                answers.append([])
                failures.append(exc)
    finding = Finding(SRV)
    for (_service, protocol, security), name, records in zip(SERVICES, names, answers, strict=True):
        if finding.server(protocol) is not None or not records:
            continue
        _priority, _weight, port, target = records[0]
        if target == "." or not port:
            finding.notes.append(N_("{name} says the service is not offered.").format(name=name))
            continue
        inside = host_matches(target, ctx.domain)
        server = Server(
            protocol,
            target,
            port,
            security,
            source=SRV,
            confidence=HIGH if inside else MEDIUM,
            origin=name,
            username_source=DEFAULT,
        )
        if protocol == SMTP:
            finding.smtp = server
        else:
            finding.imap = server
    if not finding.found:
        if failures and len(failures) == len(names):
            kind = "timeout" if all(f.kind == "timeout" for f in failures) else "failed"
            raise SourceFailed(failures[0].detail, status=kind)
        raise SourceFailed("No usable SRV records.", status="nothing")
    return finding
