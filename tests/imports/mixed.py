"""A mixed import file against real local servers (aiosmtpd + Dovecot), shared by the
command-line, worker and browser tests."""

import csv
import io
from dataclasses import dataclass

import pytest

PASSWORD = 'Imp0rt-Sécret "q" =1'
WRONG = "Wrong-Pass-9"


@dataclass
class Mixed:
    text: str
    good: list[str]
    wrong: str
    expected: dict[int, tuple]  # row -> (state, code, column or None)
    passwords: list[str]


# A file that names every server setting (no detection needed).
SERVERS_HEADER = [
    "email",
    "password",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "imap_host",
    "imap_port",
    "imap_security",
]


def write_csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def mixed(dovecot, smtp_server, closed_port):
    good = [dovecot.unique_username("imp"), dovecot.unique_username("imp")]
    wrong = dovecot.unique_username("impbad")
    for name in good:
        dovecot.add_user(name, PASSWORD, folders=["Sent"])
    dovecot.add_user(wrong, "the-real-one-7", folders=["Sent"])
    smtp = smtp_server(security="starttls", users={**{n: PASSWORD for n in good}, wrong: "the-real-one-7"})
    server = ["127.0.0.1", str(smtp.port), "starttls", "127.0.0.1", str(dovecot.port_ssl), "ssl"]
    header = ["From_Email", "from_name", "password", "smtp_host", "smtp_port", "smtp_security",
              "imap_host", "imap_port", "imap_security", "warmup_enabled"]  # fmt: skip
    rows = [
        [good[0], "Good One", PASSWORD, *server, "yes"],  # 2
        [good[1], '=HYPERLINK("http://x")', PASSWORD, *server, ""],  # 3: formula in a name
        [wrong, "Wrong pw", WRONG, *server, ""],  # 4
        [
            "ghost@example.test",
            "Unknown host",
            PASSWORD,
            "127.0.0.1",
            str(closed_port),
            "starttls",
            "127.0.0.1",
            str(closed_port),
            "ssl",
            "",
        ],  # 5: nothing listens  # fmt: skip
        ["someone@gmail.com", "Gmail", PASSWORD, *server, ""],  # 6
        [good[0].upper(), "Dup", PASSWORD, *server, ""],  # 7: same address as row 2
        [
            "nobody@example.test",
            "Bad port",
            PASSWORD,
            "127.0.0.1",
            "abc",
            "starttls",
            "127.0.0.1",
            "993",
            "ssl",
            "",
        ],  # 8  # fmt: skip
        ["not-an-address", "Bad email", PASSWORD, *server, ""],  # 9
        ["multi@example.test", "line\nbreak", PASSWORD, *server, ""],  # 10: newline in a quoted name
        [
            "lost@example.test",
            "No such host",
            PASSWORD,
            "no-such-host.invalid",
            "587",
            "starttls",
            "no-such-host.invalid",
            "993",
            "ssl",
            "",
        ],  # 11  # fmt: skip
    ]
    expected = {
        2: ("connected", "", None),
        3: ("connected", "", None),
        4: ("failed", {"smtp_auth", "imap_auth"}, None),
        5: ("failed", {"connection_refused"}, None),
        6: ("sso", "sso_required", None),
        7: ("duplicate", "duplicate", None),
        8: ("invalid", "invalid_input", "smtp_port"),
        9: ("invalid", "invalid_input", "From_Email"),
        10: ("invalid", "invalid_input", "from_name"),
        11: ("failed", {"host_unreachable"}, None),
    }
    return Mixed(write_csv(header, rows), good, wrong, expected, [PASSWORD, WRONG])


def check_rows(found: dict[int, dict], expected: dict[int, tuple]) -> None:
    """found: row number -> {state, code, problems}."""
    assert sorted(found) == sorted(expected)
    for number, (state, code, column) in expected.items():
        row = found[number]
        assert row["state"] == state, (number, row)
        if isinstance(code, set):
            assert row["code"] in code, (number, row)
        else:
            assert row["code"] == code, (number, row)
        if column is not None:
            assert [p["column"] for p in row["problems"]] == [column], (number, row)
