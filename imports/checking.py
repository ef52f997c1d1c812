"""The steps shared by the web flow and `manage.py import_mailboxes`: read the file,
make every row a candidate, and find duplicates."""

from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import Mailbox

from . import csvfile
from . import rows as R


def read(data: bytes) -> csvfile.Parsed:
    """The parsed file, or csvfile.FileProblem."""
    return csvfile.parse(
        data,
        settings.IMPORT_MAX_ROWS,
        settings.IMPORT_MAX_BYTES,
        max_columns=settings.IMPORT_MAX_COLUMNS,
        max_cell=settings.IMPORT_MAX_CELL_CHARS,
    )


def existing_emails(user) -> set[str]:
    return set(Mailbox.objects.filter(user=user).annotate(low=Lower("email")).values_list("low", flat=True))


def candidates(
    records: list[tuple[int, list[str]]], headers: list[str], mapping: dict[str, int], user
) -> list[tuple[R.Candidate, str]]:
    """(candidate, password) per row, checked and with duplicates marked."""
    csvfile.require_email(headers, mapping)
    made = []
    for number, cells in records:
        row, password = R.clean(number, cells, headers, mapping)
        row.user_id = user.pk
        made.append((row, password))
    R.mark_duplicates([row for row, _ in made], existing_emails(user))
    return [(row, password if row.state == R.PENDING else "") for row, password in made]
