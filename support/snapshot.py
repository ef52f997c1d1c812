"""Draw the settings a user entered as a PNG, the picture the support guide asks for.

It is drawn from the test's settings snapshot, which never contains the password;
the password row is a fixed mask, so no secret can reach the image.
"""

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageDraw, ImageFont

from languages.words import say

PASSWORD_MASK = gettext_lazy("******** (hidden)")  # a mask, not a password
WIDTH = 760
PAD = 24
ROW = 28
LABEL_X = PAD
VALUE_X = 230
MAX_CHARS = 56

_BG = (255, 255, 255)
_HEAD_BG = (19, 26, 42)
_HEAD_FG = (255, 255, 255)
_LABEL = (94, 104, 120)
_VALUE = (28, 35, 48)
_BAD = (180, 35, 24)
_LINE = (221, 225, 231)

SECURITY = {"ssl": "SSL/TLS", "starttls": "STARTTLS", "none": gettext_lazy("None (unencrypted)")}


def _clip(value) -> str:
    text = " ".join(str(value or "").split())  # no control characters or line breaks
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _server(server: dict) -> list[tuple[str, str]]:
    server = server or {}
    return [
        (_("Server"), server.get("host", "")),
        (_("Port"), server.get("port", "")),
        (_("Encryption"), SECURITY.get(server.get("security", ""), server.get("security", ""))),
    ]


def rows_for(settings: dict, provider_name: str, errors: list[dict]) -> list[tuple[str, str, str]]:
    """(section, label, value) rows; a section row has an empty label."""
    rows = [
        ("", _("Mailbox"), ""),
        ("v", _("Email address"), settings.get("email", "")),
        ("v", _("Username"), settings.get("username", "")),
        ("v", _("Password"), str(PASSWORD_MASK)),
        ("v", _("Provider"), provider_name or _("not recognised")),
        ("", _("Sending (SMTP)"), ""),
        *[("v", label, value) for label, value in _server(settings.get("smtp"))],
        ("", _("Receiving (IMAP)"), ""),
        *[("v", label, value) for label, value in _server(settings.get("imap"))],
    ]
    if errors:
        rows.append(("", _("Error shown"), ""))
        for error in errors:
            protocol = (error.get("protocol") or "").upper()
            title = say(error.get("title") or "") or error.get("code", "")
            rows.append(("e", protocol or _("Error"), f"{title} [{error.get('code', '')}]"))
    return rows


def draw_settings_png(settings: dict, provider_name: str, errors: list[dict], taken_at: str) -> bytes:
    rows = rows_for(settings, provider_name, errors)
    height = PAD * 2 + 48 + ROW * len(rows) + 24
    image = Image.new("RGB", (WIDTH, height), _BG)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=16)
    bold = ImageFont.load_default(size=18)
    draw.rectangle((0, 0, WIDTH, 48), fill=_HEAD_BG)
    draw.text((PAD, 14), _("Mailbox settings as entered"), font=bold, fill=_HEAD_FG)
    y = 48 + PAD // 2
    for kind, label, value in rows:
        if not kind:
            y += 6
            draw.text((LABEL_X, y), label, font=bold, fill=_VALUE)
            draw.line((LABEL_X, y + ROW - 6, WIDTH - PAD, y + ROW - 6), fill=_LINE)
        else:
            draw.text((LABEL_X, y), _clip(label), font=font, fill=_LABEL)
            draw.text((VALUE_X, y), _clip(value), font=font, fill=_BAD if kind == "e" else _VALUE)
        y += ROW
    taken = _("Snapshot taken %(when)s") % {"when": taken_at}
    draw.text((LABEL_X, height - PAD - 4), taken, font=font, fill=_LABEL)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
