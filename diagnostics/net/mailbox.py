"""A mailbox's connection settings as one immutable value.

Built once, from the connect form, an import row, a stored mailbox or the command line
(`MailboxSettings.of`), and asked for the login names and the servers the probes use,
so that the rule "the protocol's own username, else the shared one, else the address"
lives here alone.
"""

from dataclasses import dataclass, fields

from .transport import ServerSettings
from .usernames import alternate_username

SMTP, IMAP = "smtp", "imap"
PROTOCOLS = (SMTP, IMAP)


@dataclass(frozen=True)
class MailboxSettings:
    email: str
    username: str = ""  # for both protocols, unless one has its own
    smtp_username: str = ""
    imap_username: str = ""
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_security: str = ""
    imap_host: str = ""
    imap_port: int | None = None
    imap_security: str = ""

    @classmethod
    def of(cls, source) -> "MailboxSettings":
        """From anything that has these fields as attributes (a Mailbox, an import row)."""
        return cls(**{f.name: getattr(source, f.name) for f in fields(cls)})

    def login_name(self, protocol: str = "") -> str:
        specific = {SMTP: self.smtp_username, IMAP: self.imap_username}.get(protocol, "")
        return specific or self.username or self.email

    def server(self, protocol: str) -> ServerSettings:
        """What the probe for `protocol` connects to, with the other username form to try."""
        login = self.login_name(protocol)
        return ServerSettings(
            getattr(self, f"{protocol}_host"),
            getattr(self, f"{protocol}_port"),
            getattr(self, f"{protocol}_security"),
            login,
            alt_username=alternate_username(self.email, login, protocol),
        )

    def logins(self) -> list[tuple[str, str]]:
        """(host, login name) per protocol: what the limits and the pause count."""
        return [(getattr(self, f"{p}_host"), self.login_name(p)) for p in PROTOCOLS]
