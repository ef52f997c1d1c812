"""What the mapping page shows: the fields to map, and each column of the file with a
few sample values, so that a person recognises a column by its contents.

Bounded by the file's caps (IMPORT_MAX_COLUMNS): fields × columns options, and the
samples come from the first rows only (a few decryptions, whatever the row count).
Secret columns never show their values: a column mapped to a password, or whose name
says it holds one, shows dots instead.
"""

import re

from django.views.decorators.debug import sensitive_variables

from . import columns
from .models import ImportJob

SAMPLES = 3
SAMPLE_CHARS = 40
HIDDEN = "••••••"
_SECRET_NAME = re.compile(r"pass|pw|pwd|secret|token|key", re.IGNORECASE)


def fields(mapping: dict[str, int]) -> list[dict]:
    return [
        {"name": name, "label": columns.LABELS[name], "chosen": mapping.get(name)} for name in columns.FIELDS
    ]


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
        if index in secret:
            values = [HIDDEN for _ in values]
        else:
            values = [v if len(v) <= SAMPLE_CHARS else v[: SAMPLE_CHARS - 1] + "…" for v in values]
        found.append({"index": index, "header": header, "samples": values})
    return found


def context(job: ImportJob, mapping: dict[str, int] | None = None, problem: str = "") -> dict:
    mapping = job.mapping if mapping is None else mapping
    return {
        "job": job,
        "fields": fields(mapping),
        "file_columns": samples(job, mapping),
        "row_count": job.rows.count(),
        "problem": problem,
    }
