"""A domain's Discovery applied to one address: usernames filled in, the provider's
rules attached, and the JSON shape `manage.py detect` prints."""

from dataclasses import dataclass, field

from .. import directory
from ..directory import Provider
from ..transport import ServerSettings
from ..words import N_
from .model import (
    DEFAULT,
    GUESS,
    IMAP,
    LOW,
    MEDIUM,
    PROTOCOLS,
    SMTP,
    SOURCE_LABELS,
    Discovery,
    Server,
    fill,
)


@dataclass
class Detection:
    email: str
    provider: Provider | None
    smtp: ServerSettings | None
    imap: ServerSettings | None
    source: str
    candidates: list[dict] = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    disagreements: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    label: str = ""  # a name for a provider the directory does not know
    pending: bool = False  # the network cascade has not answered yet (web hint)
    elapsed_ms: int = 0
    # Servers listed but unusable, and why (autodetect/unusable.py): {protocol, reason, detail}.
    unusable: list[dict] = field(default_factory=list)

    @property
    def unusable_details(self) -> list[str]:
        return [item["detail"] for item in self.unusable]

    def settings_dict(self) -> dict | None:
        if self.smtp is None or self.imap is None:
            return None
        return {"smtp": self.smtp.as_dict(), "imap": self.imap.as_dict()}

    def confidence(self) -> str:
        """The weakest confidence among the server fields ("" when there are none)."""
        levels = [f["confidence"] for proto in self.fields.values() for f in proto.values()]
        for level in (LOW, MEDIUM):
            if level in levels:
                return level
        return "high" if levels else ""

    @property
    def domain(self) -> str:
        return directory.domain_of(self.email)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def checked(self) -> bool:
        """False for the conventional names nobody has confirmed yet."""
        return not (self.source == GUESS and self.confidence() == LOW)

    def provenance(self) -> list[dict]:
        """One line per protocol for the page: server, where it came from, how sure."""
        rows = []
        for protocol, fields in self.fields.items():
            host = fields["host"]
            rows.append(
                {
                    "protocol": protocol.upper(),
                    "server": f"{host['value']}:{fields['port']['value']}",
                    "security": fields["security"]["value"],
                    "source": SOURCE_LABELS.get(host["source"], host["source"]),
                    "confidence": host["confidence"],
                }
            )
        return rows

    def as_dict(self) -> dict:
        provider = None
        if self.provider is not None:
            provider = {
                "id": self.provider.id,
                "name": self.provider.name,
                "policy": self.provider.policy,
                "notes": list(self.provider.notes),
                "help_url": self.provider.help_url,
                "sso": self.provider.sso,
            }
        return {
            "email": self.email,
            "provider": provider,
            "settings": self.settings_dict(),
            "source": self.source,
            "candidates": self.candidates,
            "fields": self.fields,
            "disagreements": self.disagreements,
            "sources": self.sources,
            "notes": self.notes,
            "label": self.label,
            "pending": self.pending,
            "elapsed_ms": self.elapsed_ms,
            "unusable": self.unusable,
        }


def _settings(server: Server | None, email: str) -> ServerSettings | None:
    if server is None:
        return None
    return ServerSettings(server.host, server.port, server.security, fill(server.username, email))


def _fields(server: Server, email: str) -> dict:
    where = {"source": server.source, "confidence": server.confidence}
    username_source = server.username_source or server.source
    return {
        "host": {"value": server.host, **where},
        "port": {"value": server.port, **where},
        "security": {"value": server.security, **where},
        "username": {
            "value": fill(server.username, email),
            "source": username_source,
            # Nobody stated the form: the full address is what most servers take.
            "confidence": MEDIUM if username_source == DEFAULT else server.confidence,
        },
    }


def _candidate(server: Server, email: str) -> dict:
    return {
        "protocol": server.protocol,
        "host": server.host,
        "port": server.port,
        "security": server.security,
        "username": fill(server.username, email),
        "source": server.source,
        "confidence": server.confidence,
        "origin": server.origin,
        "auth": list(server.auth),
    }


def _brief(server: dict, email: str) -> dict:
    label = SOURCE_LABELS.get(server["source"], server["source"])
    return {**server, "username": fill(server["username"], email), "label": label}


def from_discovery(email: str, discovery: Discovery, pending: bool = False) -> Detection:
    servers = {p: discovery.server(p) for p in PROTOCOLS}
    disagreements = []
    for item in discovery.disagreements:
        disagreements.append(
            {
                **item,
                "chosen": _brief(item["chosen"], email),
                "other": _brief(item["other"], email),
            }
        )
    return Detection(
        email,
        directory.by_id(discovery.provider_id),
        _settings(servers[SMTP], email),
        _settings(servers[IMAP], email),
        discovery.source,
        candidates=[_candidate(c, email) for c in discovery.candidates],
        fields={p: _fields(s, email) for p, s in servers.items() if s is not None},
        disagreements=disagreements,
        sources=[r.to_dict() for r in discovery.reports],
        notes=list(discovery.notes),
        label=discovery.label,
        pending=pending,
        elapsed_ms=discovery.elapsed_ms,
        unusable=list(discovery.unusable),
    )


def conventional(email: str, pending: bool = False) -> Detection:
    """smtp.<domain>:587 and imap.<domain>:993, unchecked: something to start from
    while the network cascade runs, or when it may not run."""
    domain = directory.domain_of(email)
    discovery = Discovery(
        domain,
        source=GUESS,
        smtp=Server(
            SMTP, f"smtp.{domain}", 587, "starttls", source=GUESS, confidence=LOW, username_source=DEFAULT
        ),
        imap=Server(
            IMAP, f"imap.{domain}", 993, "ssl", source=GUESS, confidence=LOW, username_source=DEFAULT
        ),
    )
    discovery.candidates = [discovery.smtp, discovery.imap]
    discovery.notes = [N_("Not checked: the usual server names for a domain, to be confirmed.")]
    return from_discovery(email, discovery, pending=pending)
