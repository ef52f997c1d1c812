"""The error catalogue: every code the app can report, with its title and help.

This is the only place that defines what an error means to a user. Probes raise
ProbeError with a code; views, the worker and `manage.py diagnose` read titles
and help from here.
"""

from dataclasses import dataclass, field

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


# Advice specific to a finer cause; shown before the category's general checklist.
REASON_HELP: dict[str, tuple[str, ...]] = {
    # TLS
    "wrong_mode": (
        "SSL/TLS encrypts from the very first byte (usually port 465 for SMTP, 993 for IMAP); "
        "STARTTLS starts in plain text and upgrades (usually 587 and 143). Pick the one that matches "
        "the port, or apply the suggested fix.",
    ),
    "cert_untrusted": (
        "The certificate is self-signed or from an authority we do not trust. Use the exact server "
        "name your provider publishes; if it is your own server, install a certificate from a "
        "public authority.",
    ),
    "cert_expired": ("The server's certificate has run out. Only the provider can renew it: let them know.",),
    "hostname_mismatch": (
        "The certificate belongs to another name. Use the server name from your provider's "
        "instructions (often a shared name such as mail.provider.com rather than your own domain).",
    ),
    "protocol_too_old": (
        "The server offers only outdated encryption (TLS 1.0/1.1 or weak ciphers). Ask the provider "
        "to enable TLS 1.2 or newer.",
    ),
    "starttls_not_offered": (
        "This port did not offer STARTTLS. Try SSL/TLS instead (465 for SMTP, 993 for IMAP), "
        "or check the port.",
    ),
    "starttls_refused": ("The server listed STARTTLS but then refused it. Try again later, or use SSL/TLS.",),
    # Authentication
    "app_password_required": (
        "Your provider does not accept your normal password from mail apps. Create an app password in "
        "your account's security settings and paste it here instead.",
    ),
    "basic_auth_disabled": (
        "This Microsoft 365 organisation has switched off password logins for mail apps. Connect with "
        "Sign in with Microsoft, or ask your administrator to allow SMTP AUTH and IMAP for this mailbox.",
    ),
    "imap_disabled": (
        "IMAP is switched off for this mailbox. Turn it on in your webmail settings (often under "
        "'POP/IMAP' or 'Mail apps'), then test again.",
    ),
    "logindisabled": (
        "The server only takes passwords over an encrypted connection. Set IMAP encryption to STARTTLS "
        "or SSL/TLS.",
    ),
    "auth_not_offered": (
        "The server did not offer a login on this connection. Logins often appear only after STARTTLS, "
        "or only on the submission ports 587 and 465.",
    ),
    "too_many_connections": (
        "The server limits how many connections or logins one mailbox may have. Close other mail apps "
        "using it, wait a few minutes, then test again.",
    ),
    "web_login_required": (
        "The provider wants you to sign in on its website first, for example to pass a security check. "
        "Log in to webmail, clear any prompts, then test again.",
    ),
    "account_locked": (
        "The provider has locked or disabled this account, or asks you to contact an administrator. "
        "Sign in to webmail or contact your provider.",
    ),
    "privacy_required": (
        "The server wants encryption before it takes a password. Choose STARTTLS or SSL/TLS.",
    ),
    "password_expired": (
        "The password has expired. Change it with your provider, then enter the new one here.",
    ),
    "mechanism_too_weak": (
        "The server refused this login method. It may require an app password or a sign-in through "
        "the provider (OAuth).",
    ),
    "temporary_failure": ("The server turned the login down for now. Wait a few minutes and test again.",),
    "username_form": (
        "Your provider expects a different form of username here (the whole address, or only the part "
        "before the @). Apply the suggested fix.",
    ),
    # Network
    "nxdomain": ("This name does not exist in DNS. Check it for typos, letter by letter.",),
    "resolver_failure": (
        "The DNS lookup itself failed (this is not a 'no such name' answer). It is usually temporary: "
        "try again shortly.",
    ),
    "no_address": ("The name exists but points to no server address. Check the name with your provider.",),
    "connect_timeout": (
        "Not even a refusal came back. That is typical of a firewall silently dropping the connection "
        "(many networks and hosts block outgoing mail ports), or of a wrong port.",
    ),
    "no_route": ("The network has no path to that address. Check the server name, and try again later.",),
    "wrong_protocol": (
        "Another kind of server answers on this port. SMTP normally uses 465 or 587, IMAP 993 or 143: "
        "check the port number.",
    ),
    "port_not_allowed": (
        "Mail servers listen on 465 or 587 (sending) and 993 or 143 (receiving). Use the port from "
        "your provider's instructions.",
    ),
    "private_address": (
        "The name points to a private or internal address, which we never connect to for safety.",
    ),
    # SMTP fatal
    "greeting_rejected": (
        "The server refused the session outright. It may not accept connections from outside apps, "
        "or from our servers' network.",
    ),
    "greeting_temporary": ("The server is busy or limiting connections. Test again in a few minutes.",),
    "ehlo_refused": ("The server refused the opening handshake. Check that this really is an SMTP server.",),
    "closed": ("The server hung up mid-conversation. Run the test again; if it repeats, ask your provider.",),
    "flood": (
        "The server sent far more data than a mail server would. It is probably not a mail server, or "
        "something between us interferes.",
    ),
    "line_too_long": ("The server sent an impossibly long line. It is probably not a mail server.",),
    # IMAP no response
    "no_tagged_reply": ("The server went quiet in the middle of the conversation. Run the test again.",),
    "bye": ("The server ended the session (BYE). It may be overloaded or limiting connections.",),
    "bad_reply": ("The server rejected a standard IMAP command. It may not fully support IMAP.",),
    "garbage": ("The server's reply is not IMAP. Check the server name and port.",),
    "too_many_folders": (
        "The server listed an absurd number of folders. It is probably not a real mailbox.",
    ),
    "literal_too_big": (
        "The server tried to send an absurd amount of data. It is probably not a mail server.",
    ),
    # Others
    "not_found": ("If your Sent folder has another name, pick it from the list of folders below.",),
    "no_greeting": (
        "The server accepted the connection but said nothing. An implicit-TLS port (465, 993) behaves "
        "like this when STARTTLS is chosen.",
    ),
    "stuck": ("The test was lost on our side (a worker stopped). Nothing is wrong with your settings yet.",),
    "rate_limited": ("Many tests ran in a short time. Wait a little before the next one.",),
    "auth_paused": (
        "The password was refused several times. Check it, or create an app password, before testing again.",
    ),
    "deadline": ("The server answered, but far too slowly to finish in time. Try again later.",),
    "decryption_failed": ("Enter the password again: the saved copy could not be read.",),
}


def help_for(code: str, reason: str = "") -> list[str]:
    """The reason's own advice first, then the category's checklist."""
    specific = REASON_HELP.get(reason)
    if specific is None and reason.startswith("wrong_protocol"):
        specific = REASON_HELP["wrong_protocol"]
    return list(specific or ()) + list(kind(code).help)
