"""What the cascade finds, per domain: servers with provenance and confidence.

A `Discovery` never holds an address: usernames stay templates with the
%EMAILADDRESS% / %EMAILLOCALPART% / %EMAILDOMAIN% placeholders until `fill()`,
so one result can be cached per domain and shared by every user of it.
"""

import re
from dataclasses import asdict, dataclass, field

from ..mailbox import IMAP, PROTOCOLS, SMTP  # noqa: F401 (the cascade's modules name them from here)

HIGH, MEDIUM, LOW = "high", "medium", "low"

# Sources, best first. The order is the priority: the highest-priority success wins.
DIRECTORY = "directory"
MX = "mx"
SRV = "srv"
AUTOCONFIG = "autoconfig"  # the domain's own autoconfig file over https
ISPDB = "ispdb"
AUTOCONFIG_HTTP = "autoconfig-http"  # the same over plain http: could be altered in transit
GUESS = "guess"
DEFAULT = "default"  # a username form nobody told us: the full address
NONE = "none"

# How the page names each source.
SOURCE_LABELS = {
    DIRECTORY: "our provider directory",
    MX: "your domain's mail (MX) records",
    SRV: "your domain's SRV records",
    AUTOCONFIG: "your domain's autoconfig file",
    ISPDB: "Thunderbird's ISP database",
    AUTOCONFIG_HTTP: "your domain's autoconfig file, fetched over plain http",
    GUESS: "a check of the usual server names",
    DEFAULT: "the usual form (your full address)",
}

ADDRESS_TEMPLATE = "%EMAILADDRESS%"
LOCAL_PART_TEMPLATE = "%EMAILLOCALPART%"
_PLACEHOLDER = re.compile(r"%(EMAILADDRESS|EMAILLOCALPART|EMAILDOMAIN)%", re.I)


def fill(template: str, email: str) -> str:
    """Resolve the autoconfig placeholders for one address."""
    local, _, domain = email.rpartition("@")
    values = {"EMAILADDRESS": email, "EMAILLOCALPART": local, "EMAILDOMAIN": domain}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1).upper()], template or ADDRESS_TEMPLATE)


def fill_domain(template: str, domain: str) -> str:
    """Only %EMAILDOMAIN%: what a host name may contain and a per-domain cache may keep."""
    return re.sub("%EMAILDOMAIN%", domain, template, flags=re.I)


@dataclass
class Server:
    protocol: str
    host: str
    port: int
    security: str
    username: str = ADDRESS_TEMPLATE
    source: str = ""
    confidence: str = LOW
    origin: str = ""  # the URL, DNS name or MX host the server came from
    username_source: str = ""  # empty: same as source
    auth: list[str] = field(default_factory=list)  # mechanisms advertised or listed

    def key(self) -> tuple:
        return (self.host.lower(), self.port, self.security)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Server":
        return cls(**data)


@dataclass
class Finding:
    """What one source found. `authoritative`: it named the provider, whose rules and
    servers stand even when a server is None (an SSO-only provider has none)."""

    source: str
    smtp: Server | None = None
    imap: Server | None = None
    provider_id: str = ""
    authoritative: bool = False
    label: str = ""  # a provider name the source gave (autoconfig displayName)
    notes: list[str] = field(default_factory=list)
    mx_hosts: list[str] = field(default_factory=list)
    # Servers listed but unusable, and why: [{protocol, reason, detail}] (unusable.py).
    unusable: list[dict] = field(default_factory=list)

    def server(self, protocol: str) -> Server | None:
        return self.smtp if protocol == SMTP else self.imap

    @property
    def found(self) -> bool:
        return self.authoritative or self.smtp is not None or self.imap is not None


class SourceFailed(Exception):
    """A source ran and failed in a way worth telling (bad XML, too large, a loop)."""

    def __init__(self, detail: str, status: str = "failed"):
        super().__init__(detail)
        self.detail = detail
        self.status = status


@dataclass
class Report:
    """One line per source: found / nothing / failed / timeout / not_needed / skipped."""

    source: str
    status: str
    detail: str = ""
    ms: int = 0
    origin: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Discovery:
    domain: str
    source: str = NONE
    provider_id: str = ""
    smtp: Server | None = None
    imap: Server | None = None
    label: str = ""
    candidates: list[Server] = field(default_factory=list)
    disagreements: list[dict] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_ms: int = 0
    unusable: list[dict] = field(default_factory=list)

    def server(self, protocol: str) -> Server | None:
        return self.smtp if protocol == SMTP else self.imap

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "source": self.source,
            "provider_id": self.provider_id,
            "smtp": self.smtp.to_dict() if self.smtp else None,
            "imap": self.imap.to_dict() if self.imap else None,
            "label": self.label,
            "candidates": [c.to_dict() for c in self.candidates],
            "disagreements": self.disagreements,
            "reports": [r.to_dict() for r in self.reports],
            "notes": self.notes,
            "elapsed_ms": self.elapsed_ms,
            "unusable": self.unusable,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Discovery":
        def server(value):
            return Server.from_dict(value) if value else None

        return cls(
            domain=data["domain"],
            source=data["source"],
            provider_id=data["provider_id"],
            smtp=server(data["smtp"]),
            imap=server(data["imap"]),
            label=data.get("label", ""),
            candidates=[Server.from_dict(c) for c in data["candidates"]],
            disagreements=list(data["disagreements"]),
            reports=[Report(**r) for r in data["reports"]],
            notes=list(data["notes"]),
            elapsed_ms=data["elapsed_ms"],
            unusable=list(data.get("unusable", [])),
        )
