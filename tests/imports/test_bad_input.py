"""Every bad input gets a message naming the row and column, or the file problem, and a
malformed row never blocks the valid ones. No network: the checks before any test."""

import pytest

from imports import checking, csvfile
from imports import rows as R
from imports.export import neutralise
from tests.imports.mixed import write_csv

pytestmark = pytest.mark.django_db

HEADER = ["from_email", "password", "smtp_host", "smtp_port", "imap_host", "imap_port"]
SERVERS = ["127.0.0.1", "587", "127.0.0.1", "993"]


def _rows(text: str | bytes, user) -> dict[int, R.Candidate]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    parsed = checking.read(data)
    made = checking.candidates(parsed.rows, parsed.headers, parsed.mapping, user)
    return {row.number: row for row, _ in made}


def _problem(text, user) -> str:
    with pytest.raises(csvfile.FileProblem) as caught:
        _rows(text, user)
    return str(caught.value)


def test_it_names_the_file_problem_for_empty_and_header_only_files(user):
    assert _problem("", user) == "The file is empty."
    assert _problem("\r\n \r\n", user) == "The file is empty."
    assert "header row but no mailboxes" in _problem("from_email,password\r\n", user)
    assert "header row but no mailboxes" in _problem("from_email,password\r\n,\r\n , \r\n", user)


def test_it_refuses_a_file_without_an_email_column_and_lists_what_it_has(user):
    message = _problem("name,pass\r\nAnn,x\r\n", user)
    assert "No email column" in message and "'name', 'pass'" in message


def test_it_warns_about_unknown_columns_and_ignores_them(user):
    parsed = checking.read(b"Email,Password,warmup_enabled,daily_limit\r\na@example.test,x,1,50\r\n")
    assert parsed.mapping == {"email": 0, "password": 1}
    assert parsed.warnings == ["Ignored columns (not known): warmup_enabled, daily_limit"]


def test_it_names_latin1_and_binary_files(user):
    latin = "from_email,password\r\nann@example.test,x\r\nj\xf6rg@example.test,y\r\n".encode("latin-1")
    assert "not UTF-8 (line 3" in _problem(latin, user)
    assert "Latin-1" in _problem(latin, user)
    assert "not a text file" in _problem(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" * 50, user)


def test_it_refuses_too_many_rows_and_too_many_bytes(user, settings):
    many = "from_email,password\r\n" + "".join(f"u{i}@example.test,x\r\n" for i in range(10_001))
    assert "more than 5,000 rows" in _problem(many, user)
    assert "The file is 50 MB; the limit is 5.2 MB" in _problem(b"a" * 50_000_000, user)
    settings.IMPORT_MAX_ROWS = 10_000
    assert "more than 10,000 rows" in _problem(many, user)


def test_it_accepts_a_bom_semicolons_tabs_quotes_and_newlines_inside_fields(user):
    for delimiter in (";", "\t", ","):
        text = "\ufeff" + write_csv(
            ["E-mail", "Name", "Password", "SMTP Host", "smtpPort", "imap_host", "IMAP.Port"],
            [
                [
                    "ann@example.test",
                    'Ann "the; boss", Smith',
                    'p;w,"1"\n2',
                    "127.0.0.1",
                    "587",
                    "127.0.0.1",
                    "993",
                ],
                ["bob@example.test", "Bob\nStone", "pw", "127.0.0.1", "587", "127.0.0.1", "993"],
            ],
            delimiter,
        )
        parsed = checking.read(text.encode("utf-8"))
        assert parsed.delimiter == delimiter
        (ann, password), (bob, _) = checking.candidates(parsed.rows, parsed.headers, parsed.mapping, user)
        assert password == 'p;w,"1"\n2' and ann.name == 'Ann "the; boss", Smith'
        assert (ann.smtp_port, ann.smtp_security, ann.imap_port, ann.imap_security) == (
            587,
            "starttls",
            993,
            "ssl",
        )
        # A line break in a name is refused, naming row and column; the row before it is fine.
        assert ann.state == R.PENDING
        assert (bob.number, bob.state) == (3, R.INVALID)
        assert bob.problems == [{"column": "Name", "message": "Contains a line break or control character."}]


def test_a_malformed_row_never_blocks_the_valid_ones_and_names_row_and_column(user, make_mailbox):
    make_mailbox(user, email="Taken@Example.test")
    long = "x" * 10_000
    text = write_csv(
        HEADER + ["from_name", "smtp_security"],
        [
            ["ok@example.test", "pw", *SERVERS, "Fine", "starttls"],  # 2
            ["=cmd|' /C calc'!A0", "pw", *SERVERS, "", ""],  # 3: formula as an address
            ["f@example.test", "pw", *SERVERS, '=HYPERLINK("http://evil")', "@SUM(1)"],  # 4
            [f"{long}@example.test", "pw", *SERVERS, "", ""],  # 5
            ["n@example.test", "pw", *SERVERS, long, ""],  # 6
            ["p@example.test", long * 2, *SERVERS, "", ""],  # 7: a 20,000-character password
            ["ok@EXAMPLE.test", "pw", *SERVERS, "", ""],  # 8: duplicate of row 2
            ["taken@example.test", "pw", *SERVERS, "", ""],  # 9: already a mailbox
            ["jörg@bücher.example", "pw", *SERVERS, "", ""],  # 10: IDN
            ["h@example.test", "pw", "bad host!", "99999", "127.0.0.1", "993", "", "tls-ish"],  # 11
            ["", "pw", *SERVERS, "", ""],  # 12
            ["e@example.test", "", *SERVERS, "", ""],  # 13
            ["short@example.test"],  # 14: a short row
        ],
    )
    rows = _rows(text, user)
    assert rows[2].state == R.PENDING
    assert rows[3].state == R.INVALID and rows[3].problems[0]["column"] == "from_email"
    assert rows[4].state == R.INVALID and rows[4].problems == [
        {"column": "smtp_security", "message": "Encryption must be SSL, STARTTLS or none."}
    ]
    assert any("from_name starts with" in n for n in rows[4].notes)
    assert rows[5].problems == [{"column": "from_email", "message": "Longer than 254 characters."}]
    assert rows[6].problems == [{"column": "from_name", "message": "Longer than 200 characters."}]
    assert rows[7].problems == [{"column": "password", "message": "Longer than 1024 characters."}]
    assert rows[8].state == R.DUPLICATE and rows[8].message == "Same address as row 2."
    assert rows[9].state == R.DUPLICATE and "already in your mailbox list" in rows[9].message.lower()
    assert rows[10].state == R.PENDING and rows[10].email == "jörg@xn--bcher-kva.example"
    assert [p["column"] for p in rows[11].problems] == ["smtp_host", "smtp_port", "smtp_security"]
    assert rows[12].problems == [{"column": "from_email", "message": "The email address is empty."}]
    assert rows[13].problems == [{"column": "password", "message": "The password is empty."}]
    assert rows[14].state == R.INVALID and rows[14].problems[0]["column"] == "password"
    # Every invalid row's message names its column.
    for row in rows.values():
        if row.state == R.INVALID:
            assert row.message.startswith(row.problems[0]["column"] + ": ")


def test_differing_protocol_passwords_and_one_username_for_both(user):
    text = write_csv(
        ["email", "username", "smtp_password", "imap_password", "smtp_host", "imap_host"],
        [
            ["a@example.test", "alogin", "one", "two", "127.0.0.1", "127.0.0.1"],
            ["b@example.test", "blogin", "same", "same", "127.0.0.1", "127.0.0.1"],
        ],
    )
    rows = _rows(text, user)
    assert rows[2].problems[0]["column"] == "imap_password"
    assert rows[3].state == R.PENDING and rows[3].login_name("smtp") == rows[3].login_name("imap") == "blogin"
    # No port or encryption: implicit TLS on the standard ports.
    assert (rows[3].smtp_port, rows[3].imap_port) == (465, 993)


def test_gmail_and_microsoft_rows_are_not_importable_with_a_password(user):
    gmail_servers = ["smtp.gmail.com", "465", "imap.gmail.com", "993"]
    addresses = ["x@gmail.com", "y@outlook.com", "z@proton.me"]
    text = write_csv(
        HEADER, [*([a, "pw", *SERVERS] for a in addresses), ["w@example.test", "pw", *gmail_servers]]
    )
    rows = _rows(text, user)
    assert (rows[2].state, rows[2].sso) == (R.SSO, "google")
    assert "Sign in with Google" in rows[2].message
    assert (rows[3].state, rows[3].sso) == (R.SSO, "microsoft")
    assert rows[4].state == R.UNSUPPORTED
    assert rows[5].state == R.SSO  # a custom domain on Google's servers


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0"])
def test_export_neutralises_formula_prefixes(value):
    assert neutralise(value) == "'" + value
    assert neutralise("plain") == "plain"
