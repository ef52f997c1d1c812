"""Create a Sent folder for a mailbox that has none.

RFC 6154's CREATE-SPECIAL-USE flags the new folder \\Sent where the server offers it,
so every mail client (and our own next test) finds it by its flag; elsewhere a plain
CREATE under a name every client recognises. The folder is subscribed, so that
webmail shows it too.
"""

import contextlib
import imaplib

from imapclient.imap_utf7 import encode as encode_utf7

from . import errors
from .errors import ProbeError
from .sent_folder import Folder
from .steps import short
from .words import N_

# Tried in this order: the first name not already taken by a folder is created.
NAMES = ("Sent", "Sent Items", "Sent Messages")


def _quoted(name: str) -> str:
    raw = encode_utf7(name).decode("ascii")
    return '"' + raw.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _prefix(folders: list[Folder]) -> str:
    """Servers that keep every folder under INBOX (Courier, older cPanel) want the new
    one there too; elsewhere the folder sits beside INBOX."""
    others = [f for f in folders if f.name.upper() != "INBOX"]
    delimiter = next((f.delimiter for f in folders if f.delimiter), "")
    if others and delimiter and all(f.name.upper().startswith("INBOX" + delimiter) for f in others):
        return "INBOX" + delimiter
    return ""


def new_name(folders: list[Folder]) -> str:
    """The name the Sent folder gets: the first of NAMES no folder has (in any case)."""
    prefix = _prefix(folders)
    taken = {f.name.casefold() for f in folders}
    for name in NAMES:
        if (prefix + name).casefold() not in taken:
            return prefix + name
    return prefix + "Sent (email center)"


def _refused(typ: str, data: list) -> ProbeError:
    reply = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
    return ProbeError(
        errors.NO_SENT_FOLDER,
        N_("The server did not let us create a Sent folder."),
        server_reply=short(f"{typ} {reply}", 300),
        reason="create_refused",
    )


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    """After login: servers announce more then than in their greeting (Dovecot does)."""
    try:
        typ, data = client.capability()
    except imaplib.IMAP4.error:
        return set(client.capabilities)
    words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace").upper().split()
    return set(words) | set(client.capabilities) if typ == "OK" else set(client.capabilities)


def create_sent(client: imaplib.IMAP4, folders: list[Folder]) -> Folder:
    """CREATE the Sent folder on a logged-in client; raises ProbeError when the server refuses."""
    name = new_name(folders)
    quoted = _quoted(name)
    flagged = "CREATE-SPECIAL-USE" in _capabilities(client)
    if flagged:
        try:
            typ, data = client._simple_command("CREATE", quoted, "(USE (\\Sent))")
        except imaplib.IMAP4.error as exc:  # BAD: the server does not parse the extension after all
            typ, data = "BAD", [str(exc).encode()]
        if typ != "OK" and any(b"USEATTR" in d.upper() or typ == "BAD" for d in data if isinstance(d, bytes)):
            # The server takes the command but not the flag on this folder: a plain folder
            # under a known name is still found by every client.
            flagged = False
            typ, data = client._simple_command("CREATE", quoted)
    else:
        typ, data = client._simple_command("CREATE", quoted)
    if typ != "OK":
        raise _refused(typ, data)
    with contextlib.suppress(imaplib.IMAP4.error):  # some servers have no subscriptions
        client._simple_command("SUBSCRIBE", quoted)
    delimiter = next((f.delimiter for f in folders if f.delimiter), "")
    return Folder(name, encode_utf7(name).decode("ascii"), ("\\sent",) if flagged else (), delimiter)
