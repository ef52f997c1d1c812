"""What the mapping page shows: the fields to map, and each column of the file with a
few sample values, so that a person recognises a column by its contents.

Bounded by the file's caps (IMPORT_MAX_COLUMNS): fields × columns options, and the
samples come from the first rows only (a few decryptions, whatever the row count).
Secret columns never show their values: a column mapped to a password, or whose name
says it holds one, shows dots instead.
"""

import re

from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import columns
from .models import ImportJob

SAMPLES = 3
SAMPLE_CHARS = 40
HEADER_CHARS = 60
HIDDEN = "••••••"
NO_NAME = _("(no name)")
SELECTED = mark_safe(" selected")
_SECRET_NAME = re.compile(r"pass|pw|pwd|secret|token|key", re.IGNORECASE)


def fields(mapping: dict[str, int], file_columns: list[dict]) -> list[dict]:
    """Every field with its <option>s: made here, not in the template, because the page
    repeats every column under every field (11 × 100 at the cap), and Django's template
    loop cost most of a second for that on a busy machine."""
    return [
        {
            "name": name,
            "label": gettext(columns.LABELS[name]),
            "chosen": mapping.get(name),
            "options": format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (_option(column, mapping.get(name)) for column in file_columns),
            ),
        }
        for name in columns.FIELDS
    ]


def _option(column: dict, chosen: int | None) -> tuple:
    return column["index"], SELECTED if column["index"] == chosen else "", column["label"]


def _secret_columns(job: ImportJob, mapping: dict[str, int]) -> set[int]:
    chosen = {mapping[name] for name in columns.SECRET_FIELDS if name in mapping}
    named = {i for i, header in enumerate(job.headers) if _SECRET_NAME.search(columns.normalise(header))}
    return chosen | named


@sensitive_variables()
def samples(job: ImportJob, mapping: dict[str, int]) -> list[dict]:
    """[{index, header, samples}] for every column of the file, in order."""
    rows = [row.get_cells() for row in job.rows.order_by("number")[:SAMPLES]]
    secret = _secret_columns(job, mapping)
    found = []
    for index, header in enumerate(job.headers):
        values = [cells[index] for cells in rows if index < len(cells) and cells[index].strip()]
        values = [HIDDEN for _ in values] if index in secret else [_cut(v, SAMPLE_CHARS) for v in values]
        name = _cut(header, HEADER_CHARS) or NO_NAME
        # One label per column, made here: the page repeats it under every field, and a
        # template filter there cost a third of a second at the column cap.
        label = f"{name} ({values[0]})" if values else name
        found.append({"index": index, "header": name, "label": label, "samples": values})
    return found


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def context(job: ImportJob, mapping: dict[str, int] | None = None, problem: str = "") -> dict:
    mapping = job.mapping if mapping is None else mapping
    file_columns = samples(job, mapping)
    return {
        "job": job,
        "fields": fields(mapping, file_columns),
        "file_columns": file_columns,
        "row_count": job.rows.count(),
        "problem": problem,
    }
