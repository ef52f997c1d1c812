"""The error catalogue: every code the app can report, with its title and help.

This is the only place that defines what an error means to a user. Probes raise
ProbeError with a code; views, the worker and `manage.py diagnose` read titles
and help from here.
"""

from dataclasses import dataclass, field

from .reasons import (
    COVERS,
    CURRENT_TLS_TIP,
    FOLDER_NAME_TIP,
    HOST_TYPO_TIP,
    IMAP_SERVER_TIP,
    IMAP_SWITCH_TIP,
    PORT_MODE_TIP,
    REPLACES_CHECKLIST,
    REPLY,
    RETRY_TIP,
    SMTP_SERVER_TIP,
    TWO_STEP_TIP,
    TYPO_TIP,
    Shown,
    resolve,
    specific_help,
)
from .words import N_

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
# The round trip: logged in, but the test message never arrived.
NOT_DELIVERED = "not_delivered"
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
    help: tuple[str | Shown, ...]  # see reasons.Shown: words that depend on the page


CATALOGUE: dict[str, ErrorKind] = {
    kind.code: kind
    for kind in (
        ErrorKind(
            SMTP_AUTH,
            N_("SMTP authentication error"),
            N_("The outgoing (SMTP) server did not accept the username and password."),
            (
                TYPO_TIP,
                SMTP_SERVER_TIP,
                TWO_STEP_TIP,
            ),
        ),
        ErrorKind(
            IMAP_AUTH,
            N_("IMAP authentication error"),
            N_("The incoming (IMAP) server did not accept the username and password."),
            (
                TYPO_TIP,
                IMAP_SERVER_TIP,
                IMAP_SWITCH_TIP,
                TWO_STEP_TIP,
            ),
        ),
        ErrorKind(
            NO_SENT_FOLDER,
            N_("No Sent folder found"),
            N_("We logged in, but could not find the folder where sent mail is kept."),
            (
                N_("Open your mailbox in webmail and check that it has a Sent folder."),
                FOLDER_NAME_TIP,
                N_("The mailbox must be a full account that both sends and receives mail."),
                N_("If it still fails, contact support."),
            ),
        ),
        ErrorKind(
            SMTP_FATAL,
            N_("SMTP fatal error"),
            N_("The SMTP server stopped the conversation with an error."),
            (
                RETRY_TIP,
                N_("Check the SMTP server name and port."),
                N_("Check that your provider lets outside apps send through SMTP."),
                Shown(
                    REPLY,
                    N_("If it keeps happening, ask your provider about the server's reply shown here."),
                    N_("If it keeps happening, ask your provider about the server's reply."),
                ),
            ),
        ),
        ErrorKind(
            IMAP_NO_RESPONSE,
            N_("IMAP no response error"),
            N_("The IMAP server did not answer the way an IMAP server should."),
            (
                RETRY_TIP,
                N_("Check the IMAP server name and port (IMAP usually uses 993 or 143)."),
                N_("Check that your plan includes IMAP access."),
                N_("If it keeps happening, ask your provider."),
            ),
        ),
        ErrorKind(
            SSL,
            N_("SSL/TLS error"),
            N_("The secure connection could not be set up with these encryption settings."),
            (
                N_("Check whether your provider wants SSL/TLS or STARTTLS for this server."),
                PORT_MODE_TIP,
                CURRENT_TLS_TIP,
                N_("If you are unsure, ask your provider which setting to use."),
            ),
        ),
        ErrorKind(
            TIMEOUT,
            N_("Timeout error"),
            N_("The server did not answer in time."),
            (
                RETRY_TIP,
                N_("Check the server name and port."),
                N_("Check your provider's status page for outages or delays."),
                N_("If it keeps happening, contact your provider."),
            ),
        ),
        ErrorKind(
            CONNECTION_REFUSED,
            N_("Connection refused"),
            N_("The server's machine answered but refused the connection on this port."),
            (
                N_("Check the server name and the port."),
                N_(
                    "A firewall, proxy or the provider itself may be blocking outside connections to "
                    "this port."
                ),
                N_("Check that your provider allows SMTP/IMAP access from other apps."),
            ),
        ),
        ErrorKind(
            HOST_UNREACHABLE,
            N_("Host unreachable"),
            N_("We could not reach a server by that name."),
            (
                HOST_TYPO_TIP,
                N_("Check that the server exists: your provider's help pages list it."),
                N_("Try again once you have confirmed the name."),
            ),
        ),
        ErrorKind(
            UNKNOWN,
            N_("Unknown error"),
            N_("Something went wrong that does not fit a known category."),
            (
                N_("Check your email address, username and password."),
                N_("Check the SMTP and IMAP settings."),
                N_("Make sure SMTP and IMAP access are switched on at your provider."),
                N_("Run the test again, and contact support if it keeps failing."),
            ),
        ),
        ErrorKind(
            NOT_DELIVERED,
            N_("Test message not delivered"),
            N_("We sent a test message from this mailbox to itself, and it did not arrive in time."),
            (
                N_(
                    "Look for a message titled 'Email Account Center test' in the inbox, spam and other "
                    "folders: if it came late or was filtered, a rule or a delay is the cause. "
                    "You may delete it."
                ),
                N_("Check the mailbox's filters, forwarding and auto-delete rules in webmail."),
                N_(
                    "Check that the mailbox is not full and that the provider has not paused sending "
                    "(daily limits, a new account, a security check)."
                ),
                N_(
                    "Run the test again; if the message never arrives, ask your provider why mail sent "
                    "through SMTP is not delivered."
                ),
            ),
        ),
        ErrorKind(
            SSO_REQUIRED,
            N_("Use Sign in with Google or Microsoft"),
            N_("This provider does not allow password connections for this kind of account."),
            (
                N_(
                    "Connect this mailbox with the 'Sign in with Google' or 'Sign in with "
                    "Microsoft' button instead of a password."
                ),
            ),
        ),
        ErrorKind(
            PROVIDER_UNSUPPORTED,
            N_("Provider not supported"),
            N_("Mailboxes from this provider cannot be connected over SMTP/IMAP."),
            (
                N_("This provider does not offer standard SMTP/IMAP access to outside apps."),
                N_("Use a mailbox from another provider."),
            ),
        ),
        ErrorKind(
            BLOCKED_HOST,
            N_("Server address not allowed"),
            N_("For security, we do not connect to private, local or internal network addresses."),
            (
                N_("Use your provider's public server name."),
                N_("If your mail server is on a private network, ask your administrator to allow it."),
            ),
        ),
        ErrorKind(
            RATE_LIMITED,
            N_("Testing paused"),
            N_("We paused tests for this mailbox for a while."),
            (
                N_("Wait until the time shown, then test again."),
                N_(
                    "If the password was refused, check it (or create an app password) before the next try: "
                    "repeated wrong passwords can get a mailbox locked by its provider."
                ),
            ),
        ),
        ErrorKind(
            INVALID_INPUT,
            N_("Invalid settings"),
            N_("Some of the settings are not valid."),
            (N_("Correct the highlighted value and try again."),),
        ),
    )
}


def kind(code: str) -> ErrorKind:
    return CATALOGUE.get(code, CATALOGUE[UNKNOWN])


def help_for(code: str, reason: str = "", shown=frozenset()) -> list[str]:
    """The reason's own advice first, then the category's checklist (unless the reason's
    advice stands alone), each tip once. `shown` names what the page shows beside the
    advice (reasons.FIX, REPLY, FOLDERS); without it the words point at nothing."""
    tips = list(specific_help(reason, shown))
    if reason not in REPLACES_CHECKLIST:
        covered = COVERS.get(reason, ())
        tips += [resolve(tip, shown) for tip in kind(code).help if tip not in covered]
    return list(dict.fromkeys(tips))


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


# Codes whose failure may pass by itself; see reasons.TRANSIENT_REASONS for the finer causes.
TRANSIENT_CODES = frozenset({TIMEOUT, CONNECTION_REFUSED})


def is_transient(code: str, reason: str = "", server_reply: str = "") -> bool:
    """Whether a failure may pass by itself (retry later) rather than need the owner.
    A 4xx SMTP reply is temporary by definition (RFC 5321), unless its reason says otherwise."""
    from .reasons import PERMANENT_REASONS, TRANSIENT_REASONS

    if reason in PERMANENT_REASONS:
        return False
    if code in TRANSIENT_CODES or reason in TRANSIENT_REASONS:
        return True
    reply = server_reply.lstrip()
    return len(reply) >= 3 and reply[0] == "4" and reply[:3].isdigit()
