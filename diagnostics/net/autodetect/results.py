"""Comparing sources: the candidate list and the disagreements we show."""

from .model import PROTOCOLS, Discovery, Finding, Server


def summary(finding: Finding) -> str:
    parts = [
        f"{s.protocol} {s.host}:{s.port} {s.security}" for s in (finding.smtp, finding.imap) if s is not None
    ]
    if finding.provider_id:
        parts.insert(0, f"provider {finding.provider_id}")
    return ", ".join(parts)


def _differences(chosen: Server, other: Server) -> list[str]:
    fields = []
    if chosen.host.lower() != other.host.lower():
        fields.append("host")
    if chosen.port != other.port:
        fields.append("port")
    if chosen.security != other.security:
        fields.append("security")
    if chosen.username.lower() != other.username.lower() and other.username_source == "":
        fields.append("username")  # only when the other source really stated a form
    return fields


def _brief(server: Server) -> dict:
    return {
        "source": server.source,
        "host": server.host,
        "port": server.port,
        "security": server.security,
        "username": server.username,
        "origin": server.origin,
    }


def compare(result: Discovery, findings: list[Finding]) -> None:
    """Fill result.candidates (every server any source offered, chosen first) and
    result.disagreements (a source that answered differently from the chosen one)."""
    seen = set()
    for protocol in PROTOCOLS:
        chosen = result.server(protocol)
        offered = [f.server(protocol) for f in findings if f.server(protocol) is not None]
        for server in ([chosen] if chosen else []) + offered:
            marker = (protocol, server.source, server.key(), server.username)
            if marker not in seen:
                seen.add(marker)
                result.candidates.append(server)
        if chosen is None:
            continue
        for server in offered:
            if server is chosen:
                continue
            fields = _differences(chosen, server)
            if fields:
                result.disagreements.append(
                    {
                        "protocol": protocol,
                        "fields": fields,
                        "chosen": _brief(chosen),
                        "other": _brief(server),
                    }
                )
