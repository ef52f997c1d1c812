"""Refused passwords are remembered, not attempts: a corrected password connects at once,
a refused one is never sent again, and the pause counts distinct refused passwords.

Real servers on loopback: aiosmtpd (which counts every AUTH it receives) and Dovecot."""

import contextlib
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from core import refused
from diagnostics import flows
from diagnostics.models import ConnectionTest
from tests.imports.mixed import write_csv

pytestmark = pytest.mark.django_db

RIGHT = "the-Right-one 42"


@pytest.fixture
def login(dovecot, smtp_server):
    """A mailbox login on both servers, whose password is RIGHT."""
    name = dovecot.unique_username("typo")
    dovecot.add_user(name, RIGHT, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: RIGHT})
    return name, smtp, dovecot


def _form(name, smtp, dovecot, password) -> dict:
    form = {"email": name, "password": password}
    for protocol, port, security in (("smtp", smtp.port, "starttls"), ("imap", dovecot.port_ssl, "ssl")):
        form.update(
            {f"{protocol}_host": "127.0.0.1", f"{protocol}_port": str(port), f"{protocol}_security": security}
        )
    return form


def _run_latest(mailbox_id: int) -> ConnectionTest:
    """What the worker does with the test the page queued."""
    test = ConnectionTest.objects.filter(mailbox_id=mailbox_id).order_by("-pk").first()
    if test.status == ConnectionTest.Status.QUEUED:
        flows.execute_test(test.pk)
    test.refresh_from_db()
    return test


def _retype(client, pk: int, password: str) -> ConnectionTest:
    """The inline retry on the result page: the password typed again, then tested."""
    response = client.post(reverse("mailbox_retest", args=[pk]), {"retype_password": password})
    assert response.status_code == 302
    return _run_latest(pk)


def _details(test: ConnectionTest) -> str:
    return " ".join(e.detail for e in test.errors.all())


def test_three_wrong_passwords_then_the_right_one_connects_at_once(settings, client_a, login):
    name, smtp, dovecot = login
    created = client_a.post(reverse("mailbox_new"), _form(name, smtp, dovecot, "wrong-1"))
    assert created.status_code == 302
    mailbox = Mailbox.objects.get(email=name)
    first = _run_latest(mailbox.pk)
    assert {e.reason for e in first.errors.all()} == {"wrong_credentials"}
    for typo in ("wrong-2", "wrong-3"):
        test = _retype(client_a, mailbox.pk, typo)
        assert {e.code for e in test.errors.all()} == {"smtp_auth", "imap_auth"}
    assert len(smtp.auth_attempts) == 3

    right = _retype(client_a, mailbox.pk, RIGHT)
    assert right.status == "connected", _details(right)
    assert len(smtp.auth_attempts) == 4 and smtp.auth_attempts[-1].success
    # The right password clears the count: the cap starts again from nothing.
    assert refused.left("127.0.0.1", name) == settings.MAIL_AUTH_FAILURE_LIMIT


def test_retyping_an_already_refused_password_contacts_no_server(settings, client_a, login):
    name, smtp, dovecot = login
    client_a.post(reverse("mailbox_new"), _form(name, smtp, dovecot, "wrong-1"))
    mailbox = Mailbox.objects.get(email=name)
    _run_latest(mailbox.pk)
    assert len(smtp.auth_attempts) == 1

    again = _retype(client_a, mailbox.pk, "wrong-1")
    error = again.errors.get()
    assert (error.code, error.reason) == ("smtp_auth", "already_refused")
    assert re.fullmatch(
        r"This password was already refused at \d\d:\d\d \(UTC\)\. Type the new one\.", error.detail
    )
    assert not again.steps.exists()
    assert len(smtp.auth_attempts) == 1  # no server heard it again
    # Nor does the same password cost a try: only distinct refused passwords count.
    assert refused.left("127.0.0.1", name) == settings.MAIL_AUTH_FAILURE_LIMIT - 1
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "This password was already refused at" in page

    # A different password is tried at once, and connects.
    assert _retype(client_a, mailbox.pk, RIGHT).status == "connected"


def test_the_refusal_time_carries_its_time_zone(settings, user, make_mailbox):
    pair = ("imap.zone.example.test", "zone@example.test")
    refused.remember(*pair, "a-typo")
    found = refused.already_refused([pair], "a-typo")
    with timezone.override("Europe/Paris"):  # December: UTC+1
        assert re.fullmatch(
            r"This password .* at \d\d:\d\d \(UTC\+1\)\. Type the new one\.", refused.message(found)
        )
    with timezone.override("Asia/Kolkata"):
        assert "(UTC+5:30)" in refused.message(found)
    assert refused.already_refused([pair], "another") is None
    assert refused.already_refused([("imap.zone.example.test", "other@example.test")], "a-typo") is None


def test_the_cap_warns_with_two_tries_left_then_pauses_with_its_end_and_support(settings, client_a, login):
    settings.MAIL_AUTH_FAILURE_LIMIT = 5
    name, smtp, dovecot = login
    client_a.post(reverse("mailbox_new"), _form(name, smtp, dovecot, "wrong-1"))
    mailbox = Mailbox.objects.get(email=name)
    details = [_details(_run_latest(mailbox.pk))]
    for n in range(2, 6):
        details.append(_details(_retype(client_a, mailbox.pk, f"wrong-{n}")))
    assert "left before we pause" not in details[0] + details[1]
    assert "2 tries left before we pause tests for" in details[2]
    # The latest refusal's warning is on the page the person is looking at.
    shown = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "That was the last try" in shown
    assert "1 try left before we pause tests for" in details[3]
    assert re.search(r"That was the last try: .* paused until \d\d:\d\d \(UTC\)", details[4])
    assert len(smtp.auth_attempts) == 5

    paused = _retype(client_a, mailbox.pk, RIGHT)  # a sixth, different password waits
    error = paused.errors.get()
    assert (error.code, error.reason) == ("rate_limited", "auth_paused")
    assert "refused 5 different passwords" in error.detail
    assert "keep your provider from locking the account" in error.detail
    assert re.search(r"paused until \d\d:\d\d \(UTC\)", error.detail) and "contact support" in error.detail
    assert len(smtp.auth_attempts) == 5 and not paused.steps.exists()
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "keep your provider from locking the account" in page
    assert reverse("support_new", args=[paused.pk]) in page  # the way forward when sure of the password


@pytest.mark.django_db(transaction=True)
def test_an_import_row_is_answered_the_same_way(tmp_path, user, login):
    name, smtp, dovecot = login
    server = ["127.0.0.1", str(smtp.port), "starttls", "127.0.0.1", str(dovecot.port_ssl), "ssl"]
    header = [
        "email",
        "password",
        *(f"{p}_{k}" for p in ("smtp", "imap") for k in ("host", "port", "security")),
    ]

    def run(password: str) -> dict:
        path = tmp_path / "rows.csv"
        path.write_text(write_csv(header, [[name, password, *server]]), encoding="utf-8")
        out = io.StringIO()
        with contextlib.suppress(SystemExit):
            call_command(
                "import_mailboxes", str(path), "--user", user.username, "--dry-run", "--json", stdout=out
            )
        return json.loads(out.getvalue())["rows"][0]

    for typo in ("wrong-1", "wrong-2", "wrong-3"):
        assert run(typo)["reason"] == "wrong_credentials"
    assert len(smtp.auth_attempts) == 3
    again = run("wrong-2")
    assert (again["state"], again["reason"]) == ("failed", "already_refused")
    assert again["message"].startswith("This password was already refused at")
    assert len(smtp.auth_attempts) == 3
    assert run(RIGHT)["state"] == "connected"


def test_a_password_yahoo_wants_replaced_by_an_app_password_is_not_sent_again(user, make_mailbox, raw_server):
    """Yahoo answers "(#AUTH005) Too many bad auth attempts." when only an app password would
    do: the same password again would only be refused again, so it is never resent."""
    from tests.diagnostics.net.fakes import FakeIMAP, FakeSMTP

    smtp = raw_server(FakeSMTP(auth=b"535 5.7.0 (#AUTH005) Too many bad auth attempts."))
    imap = raw_server(FakeIMAP(login=b"NO [AUTHENTICATIONFAILED] LOGIN Invalid credentials"))
    mailbox = make_mailbox(
        user, email="jane@yahoo.test", smtp_port=smtp.port, smtp_security="none", imap_port=imap.port,
        imap_security="none", password="the-normal-password",
    )  # fmt: skip
    first = flows.start_test(mailbox)
    flows.execute_test(first.pk)
    assert {e.reason for e in first.errors.all()} == {"app_password_required", "wrong_credentials"}
    seen = (smtp.accepted, imap.accepted)
    again = flows.start_test(mailbox)
    assert again.errors.get().reason == "already_refused" and not again.steps.exists()
    assert (smtp.accepted, imap.accepted) == seen
