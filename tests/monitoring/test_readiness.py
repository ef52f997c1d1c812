"""Readiness for Microsoft's Basic SMTP AUTH cut-off across the fleet: the list of
Microsoft mailboxes still on a password (fleet filter, `check_health --json`), the
one-time notice before MICROSOFT_BASIC_AUTH_CUTOFF, and after it a check that meets
550 5.7.30 disconnects the mailbox for good with a link to reconnect."""

import datetime
import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Mailbox
from monitoring import checks, readiness
from monitoring.models import BasicAuthNotice, State
from tests.diagnostics.net.fakes import FakeSMTP
from tests.staff_fixtures import admin_user, login  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

RETIRED = (
    b"550 5.7.30 Basic authentication is not supported for Client Submission. "
    b"Visit https://aka.ms/smtp_auth_disabled for more information."
)
BEFORE = datetime.date(2026, 12, 7)


@pytest.fixture
def fleet(make_user, make_mailbox):
    owner = make_user("owner")
    owner.email = "owner@people.example"
    owner.save()
    boxes = {
        "by_directory": make_mailbox(owner, email="a@outlook.com", provider_id="microsoft"),
        # A custom domain found at Microsoft by its servers (or its MX at connect time).
        "by_servers": make_mailbox(owner, email="b@contoso.test", smtp_host="smtp.office365.com"),
        "signed_in": make_mailbox(owner, email="c@outlook.com", provider_id="microsoft", auth_method="oauth"),
        "elsewhere": make_mailbox(owner, email="d@fastmail.test", provider_id="fastmail"),
    }
    for box in boxes.values():
        checks.ensure_health(box)
    return boxes


def test_the_fleet_lists_microsoft_mailboxes_still_on_a_password(login, admin_user, fleet):  # noqa: F811
    client = login(admin_user)
    page = client.get(reverse("health_fleet"), {"microsoft_password": "on"}).content.decode()
    assert "a@outlook.com" in page and "b@contoso.test" in page
    assert "c@outlook.com" not in page and "d@fastmail.test" not in page
    everything = client.get(reverse("health_fleet")).content.decode()
    assert (
        "Microsoft mailboxes still connected with a password" in everything
        and "31 December 2026" in everything
    )
    assert sorted(Mailbox.objects.filter(readiness.at_risk()).values_list("email", flat=True)) == [
        "a@outlook.com",
        "b@contoso.test",
    ]


def test_check_health_json_marks_them(connected_mailbox):
    at_microsoft, elsewhere = connected_mailbox(), connected_mailbox()
    Mailbox.objects.filter(pk=at_microsoft.pk).update(provider_id="microsoft")
    marks = {}
    for box in (at_microsoft, elsewhere):
        out = io.StringIO()
        call_command("check_health", "--mailbox", str(box.pk), "--json", stdout=out)
        (row,) = json.loads(out.getvalue())["mailboxes"]
        marks[box.pk] = row["microsoft_password"]
        assert row["after"] == State.CONNECTED  # the keys that were there stay as they were
    assert marks == {at_microsoft.pk: True, elsewhere.pk: False}


def test_owners_are_told_once_before_the_cutoff(settings, fleet):
    settings.SITE_URL = "https://eac.example"
    assert readiness.notify_owners(today=BEFORE) == 2
    by_mailbox = {m.subject.split("reconnect ")[1].split(" ")[0]: m for m in mail.outbox}
    assert set(by_mailbox) == {"a@outlook.com", "b@contoso.test"}
    notice = by_mailbox["a@outlook.com"]
    assert notice.to == ["owner@people.example"] and "31 December 2026" in notice.subject
    pk = fleet["by_directory"].pk
    assert f"https://eac.example/connect/sso/microsoft/?mailbox={pk}" in notice.body
    assert "550 5.7.30" in notice.body and "app password will not help" in notice.body
    assert readiness.notify_owners(today=BEFORE) == 0, "once"
    assert BasicAuthNotice.objects.count() == 2


def test_no_notice_from_the_cutoff_on(settings, fleet):
    assert readiness.notify_owners(today=datetime.date(2026, 12, 31)) == 0
    settings.MICROSOFT_BASIC_AUTH_CUTOFF = datetime.date(2026, 12, 1)  # already past today
    assert readiness.notify_owners() == 0
    assert not mail.outbox and not BasicAuthNotice.objects.exists()


def test_after_the_cutoff_5_7_30_disconnects_for_good_with_a_link_to_reconnect(
    settings, servers, connected_mailbox, raw_server
):
    settings.MICROSOFT_BASIC_AUTH_CUTOFF = datetime.date(2026, 12, 1)
    settings.SITE_URL = "https://eac.example"
    mailbox = connected_mailbox(smtp_port=raw_server(FakeSMTP(auth=RETIRED)).port)
    Mailbox.objects.filter(pk=mailbox.pk).update(provider_id="microsoft", smtp_security="none")
    outcome = checks.run_check(mailbox.pk)
    assert outcome.after == State.DISCONNECTED
    assert (outcome.check.error_code, outcome.check.error_reason) == ("smtp_auth", "basic_auth_retired")
    assert not outcome.check.transient  # permanent: never retried on a schedule
    (alert,) = mail.outbox
    assert (
        f"Reconnect with Sign in with Microsoft: https://eac.example/connect/sso/microsoft/?mailbox={mailbox.pk}"
        in alert.body
    )
    assert "Sign in with Microsoft" in alert.body and "for typos" not in alert.body
