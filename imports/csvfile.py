"""Reading an uploaded or pasted CSV in memory: encoding, delimiter, header, rows.

Nothing here stores anything. A problem with the file as a whole raises FileProblem
with a message for the person; problems with single rows are the checks' business.
"""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from diagnostics.net.words import N_

from . import columns

DELIMITERS = ",;\t"
SNIFF_BYTES = 64 * 1024
# Far above any real field; a larger one is a broken file (an unclosed quote, say), and
# the read stops. Cells below it but above the cell cap are cut while reading.
MAX_FIELD = 100_000
MAX_COLUMNS = 100
MAX_CELL = 2000
_BINARY = {0, *range(1, 9), 11, 12, *range(14, 32)} - {27}


class FileProblem(Exception):
    """The file as a whole cannot be read: the message says why, in plain words."""


@dataclass
class Parsed:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells); the header is row 1
    delimiter: str
    mapping: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    if not data.strip():
        raise FileProblem(_("The file is empty."))
    sample = data[:SNIFF_BYTES]
    if sum(1 for b in sample if b in _BINARY) > max(2, len(sample) // 1000):
        raise FileProblem(
            _(
                "This is not a text file (it looks binary: a spreadsheet or an archive?). "
                "Save it as “CSV UTF-8” and upload that."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            _(
                "The file is not UTF-8 (line %(line)s has a byte UTF-8 does not allow: probably Latin-1 or "
                "Windows-1252). In Excel use “Save as › CSV UTF-8”; in LibreOffice choose UTF-8."
            )
            % {"line": line}
        ) from None


def sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # One column, or a sample the sniffer cannot settle: count in the header line.
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=lambda d: (first.count(d), d == ","))


def size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(n / 1000))} KB"


def too_big(actual: int, limit: int) -> FileProblem:
    return FileProblem(
        f"The file is {size(actual)}; the limit is {size(limit)}. Split it into smaller files."
    )


def parse(
    data: bytes, max_rows: int, max_bytes: int, max_columns: int = MAX_COLUMNS, max_cell: int = MAX_CELL
) -> Parsed:
    """The header and every data row, or FileProblem for the file as a whole.

    Bounded while reading: at most `max_columns` columns in any row, and every cell cut
    to `max_cell` + 1 characters (so a too-long cell is still seen as too long)."""
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    text = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    try:
        records = _records(reader, max_rows, max_columns, max_cell)
    finally:
        csv.field_size_limit(old_limit)
    if not records:
        raise FileProblem(_("The file is empty."))
    headers = [h.strip().lstrip("\ufeff") for h in records[0][1]]
    rows = [(number, cells) for number, cells in records[1:] if any(c.strip() for c in cells)]
    parsed = Parsed(headers, rows, delimiter, columns.guess_mapping(headers))
    if not rows:
        raise FileProblem(_("The file has a header row but no mailboxes under it."))
    unknown = columns.unknown_columns(headers, parsed.mapping)
    if unknown:
        names = ", ".join(u[:40] for u in unknown[:20])
        # Stored with the job in English; the pages and the command translate it (say()).
        parsed.warnings.append(
            N_("Ignored columns (not known): {columns} and {more} more").format(
                columns=names, more=len(unknown) - 20
            )
            if len(unknown) > 20
            else N_("Ignored columns (not known): {columns}").format(columns=names)
        )
    return parsed


def require_email(headers: list[str], mapping: dict[str, int]) -> None:
    if "email" not in mapping:
        raise FileProblem(
            _(
                "No email column: the first row must name the columns, one of them “from_email” or "
                "“email”. The first row has: %(headers)s."
            )
            % {"headers": ", ".join(repr(h[:40]) for h in headers[:12])}
        )


def _records(reader, max_rows: int, max_columns: int, max_cell: int) -> list[tuple[int, list[str]]]:
    records = []
    number = 0
    try:
        for cells in reader:
            number += 1
            if number > max_rows + 1:
                raise FileProblem(
                    _("The file has more than %(limit)s rows (the limit). Split it into smaller files.")
                    % {"limit": f"{max_rows:,}"}
                )
            if len(cells) > max_columns:
                raise FileProblem(
                    _(
                        "Row %(row)s has %(found)s columns; the limit is %(limit)s. "
                        "Remove the columns that are not about the mailboxes, or check the separator."
                    )
                    % {"row": number, "found": f"{len(cells):,}", "limit": f"{max_columns:,}"}
                )
            records.append((number, [cell[: max_cell + 1] for cell in cells]))
    except csv.Error as exc:
        raise FileProblem(
            _(
                "Row %(row)s cannot be read: %(error)s. A field may be longer than %(limit)s "
                "characters, or a quote may be left open."
            )
            % {"row": number + 1, "error": exc, "limit": f"{MAX_FIELD:,}"}
        ) from None
    return records
