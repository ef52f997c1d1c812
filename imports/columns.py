"""The columns an import understands, and matching a file's headers to them."""

import re

from diagnostics.net.words import N_  # the English words stored with a row; shown translated

# Our field -> the header spellings peers use (compared after normalising: lower case,
# spaces, dashes and dots as underscores, camelCase split).
FIELDS = {
    "email": ("from_email", "email", "e_mail", "email_address", "from_address", "address", "sender_email"),
    "name": ("from_name", "name", "sender_name", "display_name"),
    "username": ("username", "user_name", "user", "login"),
    "password": ("password", "pass", "app_password"),
    "smtp_host": ("smtp_host", "smtp_server", "smtp_hostname"),
    "smtp_port": ("smtp_port",),
    "smtp_username": ("smtp_username", "smtp_user_name", "smtp_user", "smtp_login"),
    "smtp_password": ("smtp_password", "smtp_pass"),
    "smtp_security": ("smtp_security", "smtp_encryption", "smtp_ssl", "smtp_tls"),
    "imap_host": ("imap_host", "imap_server", "imap_hostname"),
    "imap_port": ("imap_port",),
    "imap_username": ("imap_username", "imap_user_name", "imap_user", "imap_login"),
    "imap_password": ("imap_password", "imap_pass"),
    "imap_security": ("imap_security", "imap_encryption", "imap_ssl", "imap_tls"),
}
LABELS = {
    "email": N_("email address"),
    "name": N_("display name"),
    "username": N_("username (both)"),
    "password": N_("password (both)"),
    "smtp_host": N_("SMTP server"),
    "smtp_port": N_("SMTP port"),
    "smtp_username": N_("SMTP username"),
    "smtp_password": N_("SMTP password"),
    "smtp_security": N_("SMTP encryption"),
    "imap_host": N_("IMAP server"),
    "imap_port": N_("IMAP port"),
    "imap_username": N_("IMAP username"),
    "imap_password": N_("IMAP password"),
    "imap_security": N_("IMAP encryption"),
}
SECRET_FIELDS = ("password", "smtp_password", "imap_password")
TEMPLATE_HEADER = (
    "from_email,from_name,password,smtp_host,smtp_port,smtp_security,"
    "imap_host,imap_port,imap_security,username"
)
TEMPLATE_ROWS = (
    "ann@example.com,Ann Lee,app-password-1,smtp.example.com,587,starttls,imap.example.com,993,ssl,",
    "bob@example.org,Bob Stone,app-password-2,,,,,,,",
)

_ALIASES = {alias: name for name, aliases in FIELDS.items() for alias in aliases}


def normalise(header: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", (header or "").strip().lstrip("\ufeff"))
    return re.sub(r"[\s.\-]+", "_", text.lower()).strip("_")


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """{field: column index} from the headers; the first column wins a field."""
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = _ALIASES.get(normalise(header))
        if name is not None and name not in mapping:
            mapping[name] = index
    return mapping


def unknown_columns(headers: list[str], mapping: dict[str, int]) -> list[str]:
    used = set(mapping.values())
    return [h or f"(column {i + 1})" for i, h in enumerate(headers) if i not in used]


def template_csv() -> str:
    return "\r\n".join((TEMPLATE_HEADER, *TEMPLATE_ROWS)) + "\r\n"
