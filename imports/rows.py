"""One CSV row made into a mailbox candidate: every check that needs no network.

A malformed row gets problems naming its column and never stops the other rows.
States: invalid, duplicate, sso (Gmail/Microsoft: connect with OAuth), unsupported,
then pending (valid, waiting for its test) -> queued -> testing -> connected/failed,
and finally imported or draft.
"""

from dataclasses import dataclass, field

from diagnostics.net import directory, errors, validate
from diagnostics.net.errors import ProbeError
from diagnostics.net.mailbox import PROTOCOLS, MailboxSettings
from diagnostics.net.usernames import normalize_app_password
from diagnostics.net.words import N_

from . import columns

INVALID, DUPLICATE, SSO, UNSUPPORTED = "invalid", "duplicate", "sso", "unsupported"
PENDING, QUEUED, TESTING = "pending", "queued", "testing"
CONNECTED, FAILED, IMPORTED, DRAFT = "connected", "failed", "imported", "draft"
STATE_LABELS = {
    INVALID: N_("Invalid"),
    DUPLICATE: N_("Duplicate"),
    SSO: N_("Connect with sign-in"),
    UNSUPPORTED: N_("Not supported"),
    PENDING: N_("Waiting"),
    QUEUED: N_("Queued"),
    TESTING: N_("Testing"),
    CONNECTED: N_("Connected"),
    FAILED: N_("Failed"),
    IMPORTED: N_("Imported"),
    DRAFT: N_("Saved as draft"),
}
UNFINISHED = (PENDING, QUEUED, TESTING)
NOT_TESTED = (INVALID, DUPLICATE, SSO, UNSUPPORTED)
MAX_NAME = 200
MAX_PASSWORD = 1024
DEFAULT_PORTS = {
    "smtp": {"ssl": 465, "starttls": 587, "none": 587},
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
}
PORT_SECURITY = {465: "ssl", 587: "starttls", 993: "ssl", 143: "starttls", 25: "starttls"}
SECURITY_ALIASES = {
    "ssl/tls": "ssl",
    "tls/ssl": "ssl",
    "implicit": "ssl",
    "start_tls": "starttls",
    "plain": "none",
}
# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Candidate:
    number: int  # the spreadsheet row (the header is row 1)
    email: str = ""
    name: str = ""
    username: str = ""
    smtp_username: str = ""
    imap_username: str = ""
    smtp_host: str = ""
    smtp_port: int | None = None
    smtp_security: str = ""
    imap_host: str = ""
    imap_port: int | None = None
    imap_security: str = ""
    provider_id: str = ""
    state: str = PENDING
    problems: list[dict] = field(default_factory=list)  # [{column, message}]
    notes: list[str] = field(default_factory=list)
    code: str = ""
    reason: str = ""
    message: str = ""
    fix: str = ""
    sent_folder: str = ""
    sso: str = ""
    user_id: int | None = None  # for the shared limits, which read mailbox-like objects

    MODEL_FIELDS = (
        "email", "name", "username", "smtp_username", "imap_username", "smtp_host", "smtp_port",
        "smtp_security", "imap_host", "imap_port", "imap_security", "provider_id", "state", "problems",
        "notes", "code", "reason", "message", "fix", "sent_folder", "sso",
    )  # fmt: skip

    def connection_settings(self) -> MailboxSettings:
        return MailboxSettings.of(self)

    def login_name(self, protocol: str = "") -> str:
        return self.connection_settings().login_name(protocol)

    def missing(self) -> list[str]:
        """The protocols whose server the file did not give: autodetection finds them."""
        return [p for p in PROTOCOLS if not getattr(self, f"{p}_host")]

    def fields(self) -> dict:
        return {name: getattr(self, name) for name in self.MODEL_FIELDS}

    def fail(self, state: str, code: str, message: str, reason: str = "", fix: str = "") -> None:
        self.state, self.code, self.reason, self.message, self.fix = state, code, reason, message, fix


def _cell(cells: list[str], mapping: dict[str, int], name: str) -> str:
    index = mapping.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def clean(
    number: int, cells: list[str], headers: list[str], mapping: dict[str, int]
) -> tuple[Candidate, str]:
    """(candidate, password). Problems name the column as the file spells it."""
    row = Candidate(number)

    def column(name: str) -> str:
        index = mapping.get(name)
        return headers[index] if index is not None and index < len(headers) else columns.LABELS[name]

    def check(name: str, fn, value):
        try:
            return fn(value)
        except ProbeError as exc:
            row.problems.append({"column": column(name), "message": exc.detail})
            return None

    raw = {name: _cell(cells, mapping, name) for name in columns.FIELDS}
    if len(raw["email"]) > validate.MAX_EMAIL:
        row.problems.append(
            {
                "column": column("email"),
                "message": N_("Longer than {count} characters.").format(count=validate.MAX_EMAIL),
            }
        )
    elif not raw["email"].strip():
        row.problems.append({"column": column("email"), "message": N_("The email address is empty.")})
    else:
        row.email = check("email", validate.email, raw["email"]) or ""
    name = raw["name"].strip()
    if len(name) > MAX_NAME:
        row.problems.append(
            {
                "column": column("name"),
                "message": N_("Longer than {count} characters.").format(count=MAX_NAME),
            }
        )
    elif any(ord(c) < 32 for c in name):
        row.problems.append(
            {"column": column("name"), "message": N_("Contains a line break or control character.")}
        )
    else:
        row.name = name
    for key in ("username", "smtp_username", "imap_username"):
        row.__dict__[key] = check(key, validate.username, raw[key]) or ""
    password = _password(row, raw, column)
    for protocol in PROTOCOLS:
        _server(row, protocol, raw, check)
    for name_, value in raw.items():
        if name_ not in columns.SECRET_FIELDS and value.startswith(FORMULA_PREFIXES) and value.strip():
            first = value[:1].strip()
            row.notes.append(
                N_(
                    "{column} starts with “{first}”: kept as text, never run as a formula "
                    "(the export adds a leading apostrophe)."
                ).format(column=column(name_), first=first)
                if first
                else N_(
                    "{column} starts with a tab or line break: kept as text, never run as a formula "
                    "(the export adds a leading apostrophe)."
                ).format(column=column(name_))
            )
    if row.problems:
        if not row.email:  # shown beside the problem, so the person can find the row
            row.email = raw["email"].strip()[: validate.MAX_EMAIL]
        first = row.problems[0]
        row.fail(
            INVALID, errors.INVALID_INPUT, f"{first['column']}: {first['message']}", reason="invalid_row"
        )
        return row, ""
    _policy(row)
    return row, normalize_app_password(password, row.provider_id) if row.state == PENDING else ""


def _password(row: Candidate, raw: dict, column) -> str:
    both, smtp, imap = raw["password"], raw["smtp_password"], raw["imap_password"]
    if smtp and imap and smtp != imap:
        row.problems.append(
            {
                "column": column("imap_password"),
                "message": N_("Differs from the SMTP password; a mailbox here has one password for both."),
            }
        )
        return ""
    password = both or smtp or imap
    if not password:
        row.problems.append({"column": column("password"), "message": N_("The password is empty.")})
    elif len(password) > MAX_PASSWORD:
        row.problems.append(
            {
                "column": column("password"),
                "message": N_("Longer than {count} characters.").format(count=MAX_PASSWORD),
            }
        )
    return password


def _server(row: Candidate, protocol: str, raw: dict, check) -> None:
    host, port, security = (raw[f"{protocol}_{k}"].strip() for k in ("host", "port", "security"))
    security = SECURITY_ALIASES.get(security.lower(), security)
    if not host:
        if port or security:
            row.notes.append(
                N_("{protocol} port/encryption given without a server: detected instead.").format(
                    protocol=protocol.upper()
                )
            )
        return
    row.__dict__[f"{protocol}_host"] = check(f"{protocol}_host", validate.host, host) or ""
    number = check(f"{protocol}_port", validate.port, port) if port else None
    level = check(f"{protocol}_security", validate.security, security) if security else None
    if number is None and level is None and (port or security):
        return  # both given and both wrong: the problems say so
    if level is None and not security:
        level = PORT_SECURITY.get(number or 0, "ssl" if number is None else "starttls")
    if number is None and not port and level is not None:
        number = DEFAULT_PORTS[protocol][level]
    row.__dict__[f"{protocol}_port"] = number
    row.__dict__[f"{protocol}_security"] = level or ""


def _policy(row: Candidate, provider=None) -> None:
    """Gmail and Microsoft take no password here; Proton and the like cannot connect."""
    provider = provider or directory.lookup(row.email)
    if provider is None:
        for protocol in PROTOCOLS:
            host = getattr(row, f"{protocol}_host")
            provider = provider or (directory.by_host(host) if host else None)
    if provider is None:
        return
    row.provider_id = provider.id
    if provider.policy == directory.SSO_REQUIRED:
        label = "Google" if provider.sso == "google" else "Microsoft"
        row.sso = provider.sso
        row.fail(
            SSO,
            errors.SSO_REQUIRED,
            N_(
                "{provider} mailboxes cannot be imported with a password: connect this one with "
                "Sign in with {label}."
            ).format(provider=provider.name, label=label),
            reason=f"sso_{provider.sso}",
        )
    elif provider.policy == directory.UNSUPPORTED:
        row.fail(
            UNSUPPORTED,
            errors.PROVIDER_UNSUPPORTED,
            " ".join(provider.notes) or N_("{provider} cannot be connected.").format(provider=provider.name),
        )


def apply_policy(row: Candidate, provider) -> None:
    if row.state == PENDING and provider is not None:
        _policy(row, provider)


def mark_duplicates(rows: list[Candidate], existing: set[str]) -> None:
    """The first valid row of an address is tested; later ones, and addresses already
    connected, are duplicates."""
    first: dict[str, int] = {}
    for row in rows:
        if row.state == INVALID or not row.email:
            continue
        key = row.email.lower()
        if key in existing:
            row.fail(DUPLICATE, "duplicate", N_("Already in your mailbox list."), reason="existing")
        elif key in first:
            row.fail(
                DUPLICATE,
                "duplicate",
                N_("Same address as row {row}.").format(row=first[key]),
                reason="in_file",
            )
        else:
            first[key] = row.number
