"""`manage.py import_mailboxes` against real local servers."""

import json
import uuid

import pytest
from django.core.management import call_command

from accounts.models import Mailbox
from tests.imports.mixed import check_rows
from tests.leaks import leak_forms

pytestmark = pytest.mark.django_db(transaction=True)


def _run(path, *args) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_mailboxes", str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_it_dry_runs_a_mixed_file_with_exactly_the_expected_rows(tmp_path, user, mixed):
    path = tmp_path / "boxes.csv"
    path.write_text(mixed.text, encoding="utf-8")
    code, out, _ = _run(path, "--user", user.username, "--dry-run", "--json")
    assert code == 1
    result = json.loads(out)
    check_rows({r["row"]: r for r in result["rows"]}, mixed.expected)
    assert result["rows"][0]["sent_folder"] == "Sent"
    assert "warmup_enabled" in result["warnings"][0]
    assert Mailbox.objects.count() == 0
    for secret in mixed.passwords:
        for form in leak_forms(secret):
            assert form not in out


def test_it_imports_only_the_connected_rows_encrypted(tmp_path, user, mixed):
    path = tmp_path / "boxes.csv"
    path.write_text(mixed.text, encoding="utf-8")
    code, out, _ = _run(path, "--user", user.username)
    assert code == 1
    boxes = Mailbox.objects.filter(user=user)
    assert sorted(b.email for b in boxes) == sorted(mixed.good)
    for box in boxes:
        assert box.status == "connected" and box.sent_folder == "Sent"
        assert box.get_password() == mixed.passwords[0]
        assert mixed.passwords[0] not in box.password_encrypted
    # Again: nothing twice, and the two addresses are now duplicates.
    code, out, _ = _run(path, "--user", user.username, "--json")
    states = {r["row"]: r["state"] for r in json.loads(out)["rows"]}
    assert states[2] == states[3] == "duplicate"
    assert Mailbox.objects.filter(user=user).count() == 2


def test_it_exits_0_when_every_row_connected(tmp_path, user, mixed):
    lines = mixed.text.splitlines()
    path = tmp_path / "good.csv"
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    code, out, _ = _run(path, "--user", user.username, "--dry-run")
    assert code == 0, out
    assert "row 2:" in out and ": connected" in out


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "The file is empty."),
        (b"from_email,password\r\n", "no mailboxes under it"),
        (b"name,password\r\nAnn,x\r\n", "No email column"),
        ("from_email,password\r\nj\xf6rg@example.test,x\r\n".encode("latin-1"), "not UTF-8 (line 2"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (
            b"email,password\r\n" + b"a@example.test,x\r\n" * 3_000_000,
            "The file is 54 MB; the limit is 5.2 MB",
        ),
        (b"email,password\r\n" + b"a@example.test,x\r\n" * 10_001, "more than 5,000 rows"),
    ],
)
def test_it_exits_2_on_a_file_problem(tmp_path, user, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(Exception) as caught:
        _run(path, "--user", user.username, "--dry-run")
    assert message in str(caught.value)
    assert getattr(caught.value, "returncode", None) == 2


def test_it_exits_2_for_an_unknown_user(tmp_path, db):
    path = tmp_path / "x.csv"
    path.write_text("email\r\na@example.test\r\n")
    with pytest.raises(Exception) as caught:
        _run(path, "--user", "nobody-here")
    assert getattr(caught.value, "returncode", None) == 2


def test_it_detects_missing_servers_once_per_domain(
    tmp_path, user, dovecot, smtp_server, dns_server, settings
):
    from dnslib import DNSRecord

    from tests.imports.mixed import PASSWORD, write_csv

    names = [dovecot.unique_username("det"), dovecot.unique_username("det")]
    for name in names:
        dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users=dict.fromkeys(names, PASSWORD))
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    settings.AUTOCONFIG_ISPDB_URL = ""
    settings.AUTOCONFIG_DEADLINE = 3.0
    dns_server.add("_submission._tcp.example.test", "SRV", [(0, 1, smtp.port, "mail.example.test.")])
    dns_server.add("_imaps._tcp.example.test", "SRV", [(0, 1, dovecot.port_ssl, "mail.example.test.")])
    dns_server.add("mail.example.test", "A", "127.0.0.1")
    asked = []
    answer = dns_server.answer
    dns_server.answer = lambda data, transport: (
        asked.append(str(DNSRecord.parse(data).q.qname)),
        answer(data, transport),
    )[1]
    path = tmp_path / "detect.csv"
    path.write_text(write_csv(["email", "password"], [[n, PASSWORD] for n in names]))
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1", "mail.example.test"]

    code, out, _ = _run(path, "--user", user.username, "--dry-run", "--json")
    rows = json.loads(out)["rows"]
    assert [r["state"] for r in rows] == ["connected", "connected"], rows
    assert asked.count("_submission._tcp.example.test.") == 1  # two rows, one domain: one lookup
    assert code == 0


def test_rows_count_against_the_shared_per_host_limit(tmp_path, user, mixed, settings):
    settings.MAIL_TEST_RATE_PER_HOST = 1
    settings.MAIL_LIMITS_NAMESPACE = (
        f"imports-{uuid.uuid4().hex[:8]}"  # counters of its own (Redis outlives tests)
    )
    lines = mixed.text.splitlines()
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    code, out, _ = _run(path, "--user", user.username, "--dry-run", "--json")
    rows = json.loads(out)["rows"]
    assert [r["state"] for r in rows] == ["connected", "failed"]
    assert rows[1]["code"] == "rate_limited" and "the server 127.0.0.1" in rows[1]["message"]
    assert code == 1
