"""Bounded input: columns and cells are capped while the file is read, only the `file`
part of an upload is read, and the mapping page shows a few sample values per column
(never a password's)."""

import io
from http import HTTPStatus

import pytest
from django.urls import reverse

from imports import checking, csvfile
from imports import rows as R
from imports.mapping import HIDDEN
from imports.models import ImportJob

pytestmark = pytest.mark.django_db


def _problem(data: bytes) -> str:
    with pytest.raises(csvfile.FileProblem) as caught:
        checking.read(data)
    return str(caught.value)


def _file(text: str, name: str = "boxes.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode("utf-8"))
    upload.name = name
    return upload


def test_a_file_wider_than_the_column_cap_is_refused_while_reading(settings):
    settings.IMPORT_MAX_COLUMNS = 100
    wide = ",".join(["from_email", "password", *(f"c{i}" for i in range(98))])
    assert checking.read(f"{wide}\r\na@example.test,pw\r\n".encode()).headers[-1] == "c97"
    message = _problem(f"{wide},one_more\r\na@example.test,pw\r\n".encode())
    assert message.startswith("Row 1 has 101 columns; the limit is 100.")
    # The case that took 114 s to render: two lines, 100,000 columns, under the byte cap.
    huge = ",".join(f"c{i}" for i in range(100_000)) + "\r\n" + "," * 99_999 + "\r\n"
    assert len(huge) < settings.IMPORT_MAX_BYTES
    assert "has 100,000 columns" in _problem(huge.encode())
    # A data row wider than the cap is refused too, naming it.
    wide_row = f"from_email,password\r\na@x.test,p\r\n{',' * 100}\r\n"
    assert "Row 3 has 101 columns" in _problem(wide_row.encode())


def test_a_cell_longer_than_the_cap_is_cut_and_its_row_refused_by_column(settings, user):
    settings.IMPORT_MAX_CELL_CHARS = 2000
    parsed = checking.read(f"from_email,from_name,password\r\na@example.test,{'n' * 50_000},pw\r\n".encode())
    (number, cells) = parsed.rows[0]
    assert len(cells[1]) == 2001  # kept one past the cap, so it still reads as too long
    ((row, _),) = checking.candidates(parsed.rows, parsed.headers, parsed.mapping, user)
    assert row.state == R.INVALID and row.problems[0]["column"] == "from_name"


def test_only_the_file_part_is_read_and_any_other_file_is_refused(client_a, user):
    text = "from_email,password\r\nann@example.test,pw\r\n"
    for extra in ({"other": _file("x" * 1000, "other.bin")}, {"file": [_file(text), _file(text, "b.csv")]}):
        data = {"file": _file(text), **extra} if "other" in extra else extra
        response = client_a.post(reverse("import_new"), data)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Send one CSV file" in response.content.decode()
    assert not ImportJob.objects.filter(user=user).exists()
    assert client_a.post(reverse("import_new"), {"file": _file(text)}).status_code == HTTPStatus.FOUND


def test_the_mapping_page_shows_three_samples_per_column_and_hides_passwords(client_a, user):
    lines = ["Email,Name,Password,pw2,Notes"] + [
        f"user{n}@example.test,Person {n},secret-{n},other-secret-{n},note {n}" for n in range(1, 6)
    ]
    client_a.post(reverse("import_new"), {"file": _file("\r\n".join(lines) + "\r\n")})
    job = ImportJob.objects.get(user=user)
    page = client_a.get(reverse("import_detail", args=[job.pk])).content.decode()
    for n in (1, 2, 3):
        assert f"user{n}@example.test" in page and f"Person {n}" in page and f"note {n}" in page
    assert "user4@example.test" not in page  # three, not every row
    assert "secret-" not in page  # neither the mapped password nor a column named like one
    assert page.count(HIDDEN) >= 6
