"""The per-row results as CSV: never a password, and no cell a spreadsheet would run."""

import csv
import io

from .rows import FORMULA_PREFIXES

COLUMNS = ("row", "email", "name", "state", "code", "reason", "message", "fix", "smtp_host", "smtp_port",
           "smtp_security", "imap_host", "imap_port", "imap_security", "sent_folder",
           # Added after the original columns: the state model's name and words (monitoring/state.py).
           "mailbox_state", "mailbox_state_words")  # fmt: skip


def neutralise(value) -> str:
    """A leading apostrophe on cells starting = + - @ tab or CR (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def results_csv(rows) -> str:
    """rows: ImportRow objects (their shown state and message; `mailbox_state` when
    imports.states.attach() has set it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = {
            "row": row.number,
            "state": row.shown_state,
            "message": row.shown_message,
            **{name: getattr(row, name, "") for name in COLUMNS if name not in ("row", "state", "message")},
        }
        now = getattr(row, "mailbox_state", None)
        values["mailbox_state"] = now.name if now else ""
        values["mailbox_state_words"] = f"{now.label}: {now.sentence}" if now else ""
        writer.writerow([neutralise(values[name]) for name in COLUMNS])
    return out.getvalue()
