"""What a probe logs in with: a `Password` or a `sasl.Bearer` token, never a bare string
that might be either.

Both carry their `kind` (`sasl.PASSWORD` or `sasl.OAUTH`), the reason no login can be
tried (`failure`, empty for a password) and the redactor that masks them in every form
they travel in, so the probes and the runner never ask which one they hold.
"""

from dataclasses import dataclass

from .redaction import Redactor
from .sasl import PASSWORD, Bearer


@dataclass(frozen=True, repr=False)
class Password:
    """A password or app password (as the person typed it, app-password spaces removed)."""

    value: str

    kind = PASSWORD
    failure = ""

    def __repr__(self) -> str:  # never the password in debug output
        return "<Password>"

    def redactor(self, smtp, imap) -> Redactor:
        usernames = (smtp.username, imap.username, smtp.alt_username, imap.alt_username)
        return Redactor(self.value, tuple(u for u in usernames if u))


Credential = Password | Bearer
