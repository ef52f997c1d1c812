"""Parse IMAP LIST replies and pick the Sent folder: \\Sent flag first, then names."""

import re
import unicodedata
from dataclasses import dataclass

# Known names for the Sent folder, compared case-insensitively after NFC.
SENT_NAMES = [
    "sent",
    "sent items",
    "sent mail",
    "sent messages",
    "sent-mail",
    "sentmail",
    "gesendet",
    "gesendete elemente",
    "gesendete objekte",
    "envoyés",
    "éléments envoyés",
    "messages envoyés",
    "enviados",
    "elementos enviados",
    "itens enviados",
    "mensagens enviadas",
    "inviata",
    "posta inviata",
    "elementi inviati",
    "verzonden",
    "verzonden items",
    "verzonden berichten",
    "wysłane",
    "elementy wysłane",
    "odeslaná pošta",
    "odeslané",
    "skickat",
    "skickade objekt",
    "sendt",
    "sendte elementer",
    "sendt post",
    "lähetetyt",
    "gönderilenler",
    "gönderilmiş öğeler",
    "απεσταλμένα",
    "отправленные",
    "已发送",
    "已发送邮件",
    "已傳送",
    "寄件備份",
    "送信済み",
    "送信済みアイテム",
    "送信済みメール",
    "보낸편지함",
    "보낸 메일함",
    "enviadas",
    "verzonden e-mail",
    "sendte",
    "skickade",
    "skickade meddelanden",
    "lähetetyt viestit",
    "sendt e-post",
    "odeslané položky",
    "wysłane elementy",
    "отправленные письма",
    "gönderilmiş",
    "απεσταλμένα μηνύματα",
    "elküldött",
    "elküldött elemek",
    "trimise",
    "poslano",
    "odoslané",
]
_SENT_RANK = {unicodedata.normalize("NFC", n): i for i, n in enumerate(SENT_NAMES)}
_PREFIXES = ("inbox.", "inbox/", "[gmail]/", "[google mail]/")

_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\)\s+(?P<delim>"(?:[^"\\]|\\.)*"|NIL)\s+(?P<name>.*)$', re.I)


@dataclass
class Folder:
    name: str  # decoded for people
    raw: str  # as the server spells it, for SELECT
    flags: tuple[str, ...]
    delimiter: str

    @property
    def selectable(self) -> bool:
        return not ({"\\noselect", "\\nonexistent"} & set(self.flags))


def _unquote(token: bytes) -> bytes:
    token = token.strip()
    if token.startswith(b'"') and token.endswith(b'"') and len(token) >= 2:
        return re.sub(rb"\\(.)", rb"\1", token[1:-1])
    return token


def _decode_utf7(raw: bytes) -> str:
    """IMAP's modified UTF-7 folder names, decoded by imapclient, imported on first use:
    it is the heaviest import of a probe, and a run that never lists folders skips it."""
    from imapclient.imap_utf7 import decode

    return decode(raw)


def parse_list(data: list) -> list[Folder]:
    """imaplib's LIST data: bytes lines, or (line, literal) tuples for literal names."""
    folders = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):
            head, literal = item[0], item[1]
        else:
            head, literal = item, None
        match = _LIST_LINE.match(head.strip())
        if not match:
            continue
        flags = tuple(f.lower() for f in match["flags"].decode("ascii", "replace").split())
        delim = match["delim"]
        delimiter = "" if delim.upper() == b"NIL" else _unquote(delim).decode("ascii", "replace")
        raw_name = literal if literal is not None else _unquote(match["name"])
        raw = raw_name.decode("utf-8", "replace")
        try:
            name = _decode_utf7(raw_name)
        except Exception:  # a server that does not encode names: keep them as sent
            name = raw
        folders.append(Folder(name, raw, flags, delimiter))
    return folders


def _leaf(folder: Folder) -> str:
    name = unicodedata.normalize("NFC", folder.name).casefold()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if folder.delimiter and folder.delimiter in name:
        name = name.rsplit(folder.delimiter.casefold(), 1)[-1]
    return name


def find_sent(folders: list[Folder]) -> Folder | None:
    """The flagged folder if any, else the best-known name; None when neither exists."""
    usable = [f for f in folders if f.selectable]
    for folder in usable:
        if "\\sent" in folder.flags:
            return folder
    named = [(_SENT_RANK[_leaf(f)], f) for f in usable if _leaf(f) in _SENT_RANK]
    if named:
        return min(named, key=lambda pair: pair[0])[1]
    return None
