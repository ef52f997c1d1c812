"""One mailbox through every state: every page, email, export and JSON says the same thing.

Each step writes the real rows (tests, errors, health records, pauses, round-trip results),
then renders every surface that shows the mailbox and fails when any two disagree about its
state's name, badge or sentence, or when the state is not the one the step set up.
"""

import csv
import io
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest, TestError
from imports import rows as R
from imports.models import ImportJob, ImportRow
from monitoring import alerts
from monitoring import state as S
from monitoring.models import Alert, Health, State
from support.models import SupportRequest
from tests.staff_fixtures import admin_user, media_root, support_user  # noqa: F401

pytestmark = pytest.mark.django_db

BADGE = re.compile(
    r'<span class="badge (\w+) mailbox-state" data-mailbox-state="([a-z_]+)" title="([^"]*)">([^<]*)</span>'
)
BANNER = re.compile(r'data-banner-state="([a-z_]+)"')


def badges(html: str) -> list[tuple[str, str, str]]:
    """(name, label, sentence) of every state badge on a page."""
    return [(name, unescape(label), unescape(title)) for _, name, title, label in BADGE.findall(html)]


class World:
    """The mailbox, the rows around it, and a client per role."""

    def __init__(self, user, make_mailbox, support, admin):
        user.email = "owner@people.example"
        user.save()
        self.user = user
        self.mailbox = make_mailbox(user, email="one@example.test", status=Mailbox.Status.NEW)
        self.base = timezone.now() - timedelta(days=1)
        self.owner, self.agent, self.admin = Client(), Client(), Client()
        self.owner.force_login(user)
        self.agent.force_login(support)
        self.admin.force_login(admin)
        self.request = SupportRequest.objects.create(
            user=user,
            mailbox=self.mailbox,
            contact_email=user.email,
            message="It says two things at once.",
            email=self.mailbox.email,
        )
        self.job = ImportJob.objects.create(user=user, status=ImportJob.Status.CHECKING)
        ImportRow.objects.create(
            job=self.job,
            number=1,
            email=self.mailbox.email,
            state=R.DUPLICATE,
            code="duplicate",
            reason="existing",
            message="Already in your mailbox list.",
        )
        self.minute = 0

    def at(self):
        self.minute += 10
        return self.base + timedelta(minutes=self.minute)

    def test(self, status, errors=(), **fields) -> ConnectionTest:
        when = self.at()
        under_way = status in ConnectionTest.UNDER_WAY
        test = ConnectionTest.objects.create(mailbox=self.mailbox, status=status, **fields)
        ConnectionTest.objects.filter(pk=test.pk).update(
            created_at=when,
            finished_at=None if under_way else when,
            deadline_at=timezone.now() + timedelta(hours=1) if under_way else when,
        )
        for code, reason, protocol in errors:
            TestError.objects.create(test=test, code=code, reason=reason, protocol=protocol, step="login")
        if not under_way:
            Mailbox.objects.filter(pk=self.mailbox.pk).update(status=status, last_tested_at=when)
        self.mailbox.refresh_from_db()
        return test

    def health(self, state, **fields) -> Health:
        values = {"state": state, "state_changed_at": self.at(), **fields}
        health, _ = Health.objects.update_or_create(mailbox=self.mailbox, defaults=values)
        return health


def _banner(html: str, now: tuple) -> tuple:
    """The banner agrees when it names the mailbox exactly while its state belongs there."""
    shown = BANNER.findall(html)
    return now if shown == ([now[0]] if now[0] in S.BANNER else []) else (f"banner shows {shown}", "", "")


def surfaces(world: World) -> dict[str, tuple]:
    """Every surface's (name, label, sentence) of the mailbox, where it is shown."""
    mailbox, seen = world.mailbox, {}

    def one(where: str, html: str) -> None:
        found = badges(html)
        assert len(found) == 1, f"{where}: {len(found)} state badges"
        seen[where] = found[0]

    def page(client, name: str, *args) -> str:
        return client.get(reverse(name, args=args)).content.decode()

    detail = page(world.owner, "mailbox_detail", mailbox.pk)
    one("mailbox page: health panel", detail)
    listing = page(world.owner, "mailbox_list")
    one("mailbox list", listing)
    now = seen["mailbox list"]
    seen["banner on the mailbox page"] = _banner(detail, now)
    seen["banner on the list"] = _banner(listing, now)
    if now[0] in S.BANNER:
        assert f"{mailbox.email}: {now[1]}." in listing and now[2] in unescape(listing)
    one("support request", page(world.owner, "support_detail", world.request.pk))
    one("agent queue", page(world.agent, "support_queue"))
    one("agent queue: the request", page(world.agent, "support_queue_detail", world.request.pk))
    one("import table", page(world.owner, "import_detail", world.job.pk))
    (row,) = csv.DictReader(io.StringIO(page(world.owner, "import_export", world.job.pk)))
    seen["import CSV"] = (row["mailbox_state"], *row["mailbox_state_words"].split(": ", 1))
    latest = mailbox.latest_test()
    if latest is not None:
        got = json.loads(page(world.admin, "review_report", latest.pk))["mailbox_state"]
        seen["report.json"] = (got["state"], got["state_label"], got["state_sentence"])
    if latest is not None and latest.is_final:
        # The answer the live stream pushes when a test ends: its health panel and banner.
        url = reverse("mailbox_status", args=[mailbox.pk])
        pushed = world.owner.get(url, headers={"HX-Request": "true"}).content.decode()
        one("pushed result: health panel", pushed)
        seen["pushed result: banner"] = _banner(pushed, now)
    if ConnectionTest.objects.filter(mailbox=mailbox, status="failed").exists():
        one("review list", page(world.admin, "review_list"))
    if Health.objects.filter(pk=mailbox.pk).exists():
        one("fleet", page(world.admin, "health_fleet"))
        response = world.admin.get(reverse("health_fleet") + "?format=csv")
        (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
        seen["fleet CSV"] = (row["mailbox state"], *row["mailbox state words"].split(": ", 1))
    alert = Alert.objects.create(user=world.user, mailbox=mailbox, kind=Alert.Kind.DOWN)
    assert alerts.send_alert(alert.pk) == "sent"
    body = mail.outbox[-1].body
    seen["alert email"] = now if f"{now[1]}: {now[2]}" in body else ("not in the email", body[:400], "")
    return seen


def check(world: World, expected: str) -> None:
    seen = surfaces(world)
    truth = S.of(world.mailbox)
    assert truth.name == expected, f"the step set up {expected}, the state model says {truth.name}"
    want = (truth.name, truth.label, truth.sentence)
    disagree = {where: got for where, got in seen.items() if tuple(got) != want}
    assert not disagree, f"{expected}: these surfaces disagree with {want}: {disagree}"
    assert "imap_auth / wrong_credentials" not in json.dumps(seen)


def test_every_surface_agrees_on_every_state(
    settings,
    user,
    make_mailbox,
    support_user,  # noqa: F811
    admin_user,  # noqa: F811
):
    settings.SITE_URL = "https://eac.example"
    settings.MAIL_HEALTH_ALERTS_PER_DAY = 100
    world = World(user, make_mailbox, support_user, admin_user)

    check(world, S.UNTESTED)
    first = world.test(ConnectionTest.Status.QUEUED)
    check(world, S.QUEUED)
    ConnectionTest.objects.filter(pk=first.pk).update(status=ConnectionTest.Status.RUNNING)
    check(world, S.TESTING)
    ConnectionTest.objects.filter(pk=first.pk).update(status="connected", finished_at=timezone.now())
    Mailbox.objects.filter(pk=world.mailbox.pk).update(status="connected")
    world.health(State.CONNECTED)
    check(world, S.CONNECTED)

    world.test(
        "connected",
        round_trip={"status": "delivered_to_spam", "folder": "Junk"},
        delivery_status="delivered_to_spam",
    )
    check(world, S.DELIVERY_WARNING)
    world.test("failed", [("no_sent_folder", "", "imap")], folders=["INBOX", "Archive", "Trash"])
    check(world, S.ALMOST)
    world.test("failed", [("imap_auth", "wrong_credentials", "imap")])
    check(world, S.FAILED)

    world.test("failed", [("timeout", "read_timeout", "imap")])
    world.health(State.DEGRADED, transient=True, error_code="timeout", error_reason="read_timeout")
    check(world, S.DEGRADED)
    world.test("failed", [("imap_auth", "wrong_credentials", "imap")])
    world.health(
        State.DISCONNECTED, transient=False, error_code="imap_auth", error_reason="wrong_credentials"
    )
    check(world, S.DISCONNECTED)
    # The owner typed the password again and it connected: every page says so at once,
    # before the scheduler has noted the recovery on the health record.
    world.test(
        "connected", round_trip={"status": "delivered", "folder": "INBOX"}, delivery_status="delivered"
    )
    assert Health.objects.get(pk=world.mailbox.pk).state == State.DISCONNECTED
    check(world, S.CONNECTED)

    world.health(State.PAUSED, paused_by=user)
    check(world, S.PAUSED)

    Mailbox.objects.filter(pk=world.mailbox.pk).update(auth_method="oauth", provider_id="google")
    world.mailbox.refresh_from_db()
    world.test("failed", [("smtp_auth", "token_revoked", "smtp")])
    world.health(State.DISCONNECTED, transient=False, error_code="smtp_auth", error_reason="token_revoked")
    check(world, S.RECONNECT)


def test_a_list_costs_the_same_queries_for_one_mailbox_or_many(user, make_mailbox, django_assert_num_queries):
    boxes = [make_mailbox(user, email=f"m{i}@example.test") for i in range(12)]
    for box in boxes:
        ConnectionTest.objects.create(mailbox=box, status="failed")
    with django_assert_num_queries(4):
        S.for_mailboxes(boxes[:1])
    with django_assert_num_queries(4):
        found = S.for_mailboxes(boxes)
    assert {s.name for s in found.values()} == {S.FAILED}
