"""Work out server settings for an address: the provider table, then a guess.

A later stage adds MX, SRV, autoconfig and ISPDB behind the same function.
"""

from dataclasses import dataclass, field

from . import providers
from .providers import Provider
from .transport import ServerSettings


@dataclass
class Detection:
    email: str
    provider: Provider | None
    smtp: ServerSettings | None
    imap: ServerSettings | None
    source: str
    candidates: list[dict] = field(default_factory=list)

    def settings_dict(self) -> dict | None:
        if self.smtp is None or self.imap is None:
            return None
        return {"smtp": self.smtp.as_dict(), "imap": self.imap.as_dict()}

    def as_dict(self) -> dict:
        provider = None
        if self.provider is not None:
            provider = {
                "id": self.provider.id,
                "name": self.provider.name,
                "policy": self.provider.policy,
                "notes": list(self.provider.notes),
            }
        return {
            "email": self.email,
            "provider": provider,
            "settings": self.settings_dict(),
            "source": self.source,
            "candidates": self.candidates,
        }


def _settings(email: str, endpoint) -> ServerSettings:
    return ServerSettings(
        endpoint.host,
        endpoint.port,
        endpoint.security,
        providers.username_for(email, endpoint.username),
    )


def detect(email: str) -> Detection:
    """Settings from the built-in table, or the conventional guess; no network."""
    provider = providers.lookup(email)
    if provider is not None and provider.smtp and provider.imap:
        return Detection(
            email, provider, _settings(email, provider.smtp), _settings(email, provider.imap), "directory"
        )
    if provider is not None:
        return Detection(email, provider, None, None, "directory")
    domain = providers.domain_of(email)
    smtp = ServerSettings(f"smtp.{domain}", 587, "starttls", email)
    imap = ServerSettings(f"imap.{domain}", 993, "ssl", email)
    candidates = [
        {"protocol": "smtp", **smtp.as_dict(), "source": "guess"},
        {"protocol": "imap", **imap.as_dict(), "source": "guess"},
    ]
    return Detection(email, None, smtp, imap, "guess", candidates)
