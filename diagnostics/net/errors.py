"""The error catalogue: every code the app can report, with its title and help.

This is the only place that defines what an error means to a user. Probes raise
ProbeError with a code; views, the worker and `manage.py diagnose` read titles
and help from here.
"""

from dataclasses import dataclass, field

from .reasons import specific_help

# The ten categories from the support guide.
SMTP_AUTH = "smtp_auth"
IMAP_AUTH = "imap_auth"
NO_SENT_FOLDER = "no_sent_folder"
SMTP_FATAL = "smtp_fatal"
IMAP_NO_RESPONSE = "imap_no_response"
SSL = "ssl"
TIMEOUT = "timeout"
CONNECTION_REFUSED = "connection_refused"
HOST_UNREACHABLE = "host_unreachable"
UNKNOWN = "unknown"
# Provider policy.
SSO_REQUIRED = "sso_required"
PROVIDER_UNSUPPORTED = "provider_unsupported"
# Our own guards.
BLOCKED_HOST = "blocked_host"
INVALID_INPUT = "invalid_input"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class ErrorKind:
    code: str
    title: str
    summary: str
    help: tuple[str, ...]


CATALOGUE: dict[str, ErrorKind] = {
    kind.code: kind
    for kind in (
        ErrorKind(
            SMTP_AUTH,
            "SMTP authentication error",
            "The outgoing (SMTP) server did not accept the username and password.",
            (
                "Check the email address, the username (if your provider uses one) and "
                "the password for typos.",
                "Check the SMTP server name, port and encryption type against your provider's instructions.",
                "Make sure this is your provider's SMTP server and not another one.",
                "If two-step verification is on, your normal password may be refused: "
                "create an app-specific password and use that instead.",
            ),
        ),
        ErrorKind(
            IMAP_AUTH,
            "IMAP authentication error",
            "The incoming (IMAP) server did not accept the username and password.",
            (
                "Check the email address, the username and the password for typos.",
                "Check the IMAP server name and port.",
                "Make sure IMAP access is switched on in your mailbox's settings; some "
                "providers ship with it off.",
                "If two-step verification is on, create an app-specific password and use it here.",
            ),
        ),
        ErrorKind(
            NO_SENT_FOLDER,
            "No Sent folder found",
            "We logged in, but could not find the folder where sent mail is kept.",
            (
                "Open your mailbox in webmail and check that it has a Sent folder.",
                "If the Sent folder has a custom or translated name, pick it from the list of folders.",
                "The mailbox must be a full account that both sends and receives mail.",
                "If it still fails, contact support with the details below.",
            ),
        ),
        ErrorKind(
            SMTP_FATAL,
            "SMTP fatal error",
            "The SMTP server stopped the conversation with an error.",
            (
                "Run the test again: some servers refuse briefly when busy.",
                "Check the SMTP server name and port.",
                "Check that your provider lets outside apps send through SMTP.",
                "If it keeps happening, ask your provider about the server's reply shown below.",
            ),
        ),
        ErrorKind(
            IMAP_NO_RESPONSE,
            "IMAP no response error",
            "The IMAP server did not answer the way an IMAP server should.",
            (
                "Run the test again.",
                "Check the IMAP server name and port (IMAP usually uses 993 or 143).",
                "Check that your plan includes IMAP access.",
                "If it keeps happening, ask your provider.",
            ),
        ),
        ErrorKind(
            SSL,
            "SSL/TLS error",
            "The secure connection could not be set up with these encryption settings.",
            (
                "Check whether your provider wants SSL/TLS or STARTTLS for this server.",
                "Match the port to the encryption: SSL is usually 465 (SMTP) or 993 "
                "(IMAP); STARTTLS is usually 587 (SMTP) or 143 (IMAP).",
                "The server must support a current TLS version and a valid certificate.",
                "If you are unsure, ask your provider which setting to use.",
            ),
        ),
        ErrorKind(
            TIMEOUT,
            "Timeout error",
            "The server did not answer in time.",
            (
                "Run the test again.",
                "Check the server name and port.",
                "Check your provider's status page for outages or delays.",
                "If it keeps happening, contact your provider.",
            ),
        ),
        ErrorKind(
            CONNECTION_REFUSED,
            "Connection refused",
            "The server's machine answered but refused the connection on this port.",
            (
                "Check the server name and the port.",
                "A firewall, proxy or the provider itself may be blocking outside connections to this port.",
                "Check that your provider allows SMTP/IMAP access from other apps.",
            ),
        ),
        ErrorKind(
            HOST_UNREACHABLE,
            "Host unreachable",
            "We could not reach a server by that name.",
            (
                "Check the server name letter by letter for typos.",
                "Check that the server exists: your provider's help pages list it.",
                "Try again once you have confirmed the name.",
            ),
        ),
        ErrorKind(
            UNKNOWN,
            "Unknown error",
            "Something went wrong that does not fit a known category.",
            (
                "Check your email address, username and password.",
                "Check the SMTP and IMAP settings.",
                "Make sure SMTP and IMAP access are switched on at your provider.",
                "Run the test again, and contact support if it keeps failing.",
            ),
        ),
        ErrorKind(
            SSO_REQUIRED,
            "Use Sign in with Google or Microsoft",
            "This provider does not allow password connections for this kind of account.",
            (
                "Connect this mailbox with the 'Sign in with Google' or 'Sign in with "
                "Microsoft' button instead of a password.",
            ),
        ),
        ErrorKind(
            PROVIDER_UNSUPPORTED,
            "Provider not supported",
            "Mailboxes from this provider cannot be connected over SMTP/IMAP.",
            (
                "This provider does not offer standard SMTP/IMAP access to outside apps.",
                "Use a mailbox from another provider.",
            ),
        ),
        ErrorKind(
            BLOCKED_HOST,
            "Server address not allowed",
            "For security, we do not connect to private, local or internal network addresses.",
            (
                "Use your provider's public server name.",
                "If your mail server is on a private network, ask your administrator to allow it.",
            ),
        ),
        ErrorKind(
            RATE_LIMITED,
            "Testing paused",
            "We paused tests for this mailbox for a while.",
            (
                "Wait until the time shown, then test again.",
                "If the password was refused, check it (or create an app password) before the next try: "
                "repeated wrong passwords can get a mailbox locked by its provider.",
            ),
        ),
        ErrorKind(
            INVALID_INPUT,
            "Invalid settings",
            "Some of the settings are not valid.",
            ("Correct the highlighted value and try again.",),
        ),
    )
}


def kind(code: str) -> ErrorKind:
    return CATALOGUE.get(code, CATALOGUE[UNKNOWN])


def help_for(code: str, reason: str = "") -> list[str]:
    """The reason's own advice first, then the category's checklist."""
    return list(specific_help(reason)) + list(kind(code).help)


class ProbeError(Exception):
    """A classified failure of one probe step.

    `detail` is our sentence about what happened; `server_reply` is the server's
    own words (already redacted by the time anyone shows it).
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        server_reply: str = "",
        reason: str = "",
        suggestion: dict | None = None,
    ):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail
        self.server_reply = server_reply
        self.reason = reason
        self.suggestion = suggestion
        self.step = ""


@dataclass
class ErrorReport:
    """One error as shown to users and written to JSON."""

    code: str
    protocol: str
    detail: str = ""
    server_reply: str = ""
    reason: str = ""
    step: str = ""
    suggestion: dict | None = None
    title: str = field(init=False)
    help: list[str] = field(init=False)

    def __post_init__(self) -> None:
        k = kind(self.code)
        self.code = k.code
        self.title = k.title
        self.help = help_for(self.code, self.reason)
        if not self.detail:
            self.detail = k.summary

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "protocol": self.protocol,
            "title": self.title,
            "detail": self.detail,
            "server_reply": self.server_reply,
            "help": self.help,
            "suggestion": self.suggestion,
            "reason": self.reason,
            "step": self.step,
        }
