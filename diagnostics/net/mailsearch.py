"""IMAP work of the round trip on a logged-in GuardedIMAP4: find the spam and trash
folders, find one message by its token, wait for new mail, APPEND, and delete exactly
the given UIDs.

Deleting never touches another message: UID EXPUNGE of our UIDs where UIDPLUS allows,
otherwise a move to Trash. A plain EXPUNGE would also remove every other message a mail
app has marked \\Deleted but not yet expunged, so it is never sent.
"""

import imaplib
import re
import ssl
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from select import select as wait_for_sockets  # `select` here is IMAP's SELECT

from . import testmessage
from .sent_folder import Folder, _leaf

JUNK_NAMES = [
    "junk",
    "spam",
    "junk e-mail",
    "junk email",
    "junk mail",
    "bulk mail",
    "bulk",
    "spamverdacht",
    "junk-e-mail",
    "unerwünscht",
    "courrier indésirable",
    "indésirables",
    "pourriel",
    "correo no deseado",
    "lixo eletrônico",
    "posta indesiderata",
    "ongewenste e-mail",
    "skräppost",
    "søppelpost",
    "uønsket e-mail",
    "roskaposti",
    "nevyžádaná pošta",
    "wiadomości-śmieci",
    "спам",
    "нежелательная почта",
    "垃圾邮件",
    "迷惑メール",
    "스팸메일함",
]
TRASH_NAMES = [
    "trash",
    "deleted items",
    "deleted messages",
    "deleted",
    "bin",
    "papierkorb",
    "gelöschte elemente",
    "corbeille",
    "éléments supprimés",
    "papelera",
    "elementos eliminados",
    "lixeira",
    "itens excluídos",
    "cestino",
    "posta eliminata",
    "prullenbak",
    "verwijderde items",
    "kosz",
    "papperskorgen",
    "корзина",
    "удаленные",
    "已删除",
    "ゴミ箱",
    "휴지통",
]
_UID = re.compile(rb"\bUID\s+(\d+)", re.I)
_APPENDUID = re.compile(rb"\[APPENDUID\s+\d+\s+(\d+)\]", re.I)
IDLE_SLICE = 25.0  # seconds per IDLE before we look at the spam folder again


def find_folder(folders: list[Folder], flag: str, names: list[str]) -> Folder | None:
    """The folder with the SPECIAL-USE flag, else the best-known (localized) name."""
    usable = [f for f in folders if f.selectable]
    for folder in usable:
        if flag in folder.flags:
            return folder
    rank = {unicodedata.normalize("NFC", n): i for i, n in enumerate(names)}
    named = [(rank[_leaf(f)], f) for f in usable if _leaf(f) in rank]
    return min(named, key=lambda pair: pair[0])[1] if named else None


def refresh_capabilities(client) -> None:
    """The list after login: servers add MOVE, UIDPLUS, CONDSTORE... only then."""
    typ, data = client.capability()
    if typ == "OK" and data and isinstance(data[-1], bytes):
        client.capabilities = tuple(c.upper() for c in data[-1].decode("ascii", "replace").split())


def quote(raw: str) -> str:
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data, what: str) -> None:
    if typ != "OK":
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise imaplib.IMAP4.error(f"{what} failed: {text}")


def select(client, folder: str, readonly: bool = False) -> int:
    """SELECT (or EXAMINE) a folder; the number of messages in it."""
    typ, data = client.select(quote(folder) if folder.upper() != "INBOX" else "INBOX", readonly=readonly)
    _check(typ, data, f"SELECT {folder}")
    first = data[0] if data else b""
    return int(first) if isinstance(first, bytes) and first.isdigit() else -1


def _uids(data) -> list[int]:
    found: list[int] = []
    for item in data:
        if isinstance(item, bytes):
            found.extend(int(n) for n in item.split() if n.isdigit())
    return found


def search_token(client, token: str) -> list[int]:
    """UIDs in the selected folder whose subject carries the token (Gmail: X-GM-RAW)."""
    if "X-GM-EXT-1" in client.capabilities:
        typ, data = client.uid("SEARCH", "X-GM-RAW", f'"subject:{token} in:anywhere"')
    else:
        since = (datetime.now(UTC) - timedelta(days=1)).strftime("%d-%b-%Y")
        typ, data = client.uid("SEARCH", "SINCE", since, "SUBJECT", f'"{token}"')
    _check(typ, data, "SEARCH")
    return _uids(data)


def fetch_headers(client, uids: list[int]) -> dict[int, object]:
    """The test-relevant headers of each UID, read without marking anything \\Seen."""
    if not uids:
        return {}
    fields = " ".join(testmessage.FETCHED)
    typ, data = client.uid(
        "FETCH", ",".join(str(u) for u in uids), f"(UID BODY.PEEK[HEADER.FIELDS ({fields})])"
    )
    _check(typ, data, "FETCH")
    found: dict[int, object] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            match = _UID.search(item[0])
            if match:
                found[int(match.group(1))] = testmessage.parse_headers(item[1])
    return found


def find_message(client, token: str) -> tuple[int, object] | None:
    """(UID, headers) of the message carrying the token in its own header, in the
    selected folder; a subject match alone is not proof."""
    candidates = search_token(client, token)[-20:]
    for uid, headers in fetch_headers(client, candidates).items():
        if testmessage.carries(headers, token):
            return uid, headers
    return None


def idle(client, seconds: float, timeout: float) -> bool:
    """IDLE (RFC 2177) on the selected folder for at most `seconds`; True when the server
    announced new mail.

    Everything happens on this thread. OpenSSL forbids two threads to use one TLS
    connection at once: a DONE written by a timer while this thread reads corrupts the
    session (bad record MAC). So we wait for the socket to become readable, read whole
    lines only when it is, and write DONE ourselves when the time is up. No read ever
    times out on a quiet but healthy server (a timed-out socket file is unusable); a
    server that ignores DONE runs into the socket timeout, and the session's deadline
    bounds everything."""
    tag = f"EACI{int(time.monotonic() * 1000) % 100000}".encode()
    client.send(tag + b" IDLE\r\n")
    sock = client.sock

    def read(ends: float) -> bytes:
        sock.settimeout(max(0.05, ends - time.monotonic()))
        return client.readline()

    first = read(time.monotonic() + timeout)
    if not first.startswith(b"+"):
        raise imaplib.IMAP4.error(f"IDLE refused: {first.decode('utf-8', 'replace').strip()}")
    until = time.monotonic() + seconds
    changed = False
    try:
        while not changed and _readable(client, until - time.monotonic()):
            # The server has begun a line: the rest comes at once or the socket times out.
            line = _idle_line(read(time.monotonic() + timeout), tag)
            if line is None:
                return changed  # the server ended IDLE itself
            changed = line.rstrip().upper().endswith((b"EXISTS", b"RECENT"))
        client.send(b"DONE\r\n")
        # The server must have ended IDLE `timeout` seconds after our DONE, whatever it sends.
        ends = time.monotonic() + timeout
        while _idle_line(read(ends), tag) is not None:
            pass
    finally:
        sock.settimeout(timeout)
    return changed


def _idle_line(line: bytes, tag: bytes) -> bytes | None:
    """An untagged line during IDLE, or None once the tagged completion came."""
    if not line:
        raise imaplib.IMAP4.abort("socket error: EOF during IDLE")
    if line.startswith(tag + b" "):
        return None
    if line.upper().startswith(b"* BYE"):
        raise imaplib.IMAP4.abort(line.decode("utf-8", "replace").strip())
    return line


def _readable(client, seconds: float) -> bool:
    """Whether a read would find data within `seconds`: already buffered (by Python's
    reader or by OpenSSL), or arriving on the socket."""
    sock = client.sock
    previous = sock.gettimeout()
    sock.settimeout(0)  # peek must not wait: only what is already there counts
    try:
        if client.file.peek(1):
            return True
    except (BlockingIOError, ssl.SSLWantReadError):
        pass
    finally:
        sock.settimeout(previous)
    if seconds <= 0:
        return False
    readable, _, _ = wait_for_sockets([sock], [], [], seconds)
    return bool(readable)


def append(client, folder: str, message: bytes) -> int | None:
    """APPEND as read; the new UID when the server says it (UIDPLUS APPENDUID)."""
    typ, data = client.append(quote(folder), r"(\Seen)", imaplib.Time2Internaldate(time.time()), message)
    _check(typ, data, f"APPEND to {folder}")
    match = _APPENDUID.search(b" ".join(d for d in data if isinstance(d, bytes)))
    return int(match.group(1)) if match else None


def remove(client, folder: str, uids: list[int], trash: Folder | None) -> tuple[bool, str]:
    """Delete exactly these UIDs from the folder; (gone for good or moved, how)."""
    uid_set = ",".join(str(u) for u in sorted(set(uids)))
    caps = set(client.capabilities)
    select(client, folder)
    to_trash = trash is not None and trash.raw != folder
    # On Gmail a folder is a label: removing the message from it leaves it in All Mail.
    if "X-GM-EXT-1" in caps and to_trash and "MOVE" in caps:
        typ, data = client.uid("MOVE", uid_set, quote(trash.raw))
        _check(typ, data, "MOVE")
        return True, f"moved to {trash.name}"
    if "UIDPLUS" in caps:
        typ, data = client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
        _check(typ, data, "STORE")
        typ, data = client.uid("EXPUNGE", uid_set)
        _check(typ, data, "UID EXPUNGE")
        return True, "deleted (UID EXPUNGE)"
    if to_trash and "MOVE" in caps:
        typ, data = client.uid("MOVE", uid_set, quote(trash.raw))
        _check(typ, data, "MOVE")
        return True, f"moved to {trash.name}"
    if to_trash:
        typ, data = client.uid("COPY", uid_set, quote(trash.raw))
        _check(typ, data, "COPY")
    typ, data = client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
    _check(typ, data, "STORE")
    where = f"copied to {trash.name}, " if to_trash else ""
    return False, where + "marked deleted (the server offers neither UIDPLUS nor MOVE)"
