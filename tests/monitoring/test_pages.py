"""Pages: the mailbox's health panel and history, the banner, alert settings, the fleet view."""

import csv
import io
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from monitoring import history
from monitoring.models import Alert, AlertPreference, Check, Health, State

pytestmark = pytest.mark.django_db


def _monitored(make_mailbox, owner, email, state=State.CONNECTED, provider="", **health):
    mailbox = make_mailbox(owner, email=email, status=Mailbox.Status.CONNECTED, provider_id=provider)
    Health.objects.create(mailbox=mailbox, state=state, **health)
    return mailbox


def _history(mailbox, states_by_hours_ago):
    now = timezone.now()
    Check.objects.bulk_create(
        Check(mailbox=mailbox, state=s, ok=s == State.CONNECTED, created_at=now - timedelta(hours=h),
              error_code="" if s == State.CONNECTED else "imap_auth", error_reason="wrong_credentials")
        for h, s in states_by_hours_ago
    )  # fmt: skip


def test_the_mailbox_page_shows_the_strip_uptime_and_time_to_recovery(client_a, user, make_mailbox):
    mailbox = _monitored(make_mailbox, user, "a@example.test")
    _history(mailbox, [(50, "connected"), (49, "disconnected"), (46, "connected"), (1, "connected")])
    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    # 50 h monitored, 3 of them disconnected.
    assert "connected 94.0% of the monitored time" in page and "Mean time to recovery: 3 h 0 min." in page
    assert page.count('class="cell cell-') >= 30
    # A cell's tooltip counts its checks (the failed one shares its day with 1 or 2 others).
    assert re.search(r'title="[^"]+: [12] of [23] checks connected"', page)
    assert "Last failure: IMAP authentication error" in page


def _strip(page: str) -> str:
    return page[page.index('<ol class="strip"') : page.index("</ol>", page.index('<ol class="strip"'))]


def test_a_mailbox_created_today_is_drawn_from_today_and_its_day_follows_its_checks(
    client_a, user, make_mailbox
):
    mailbox = _monitored(make_mailbox, user, "new@example.test")
    now = timezone.now()
    # Five checks in the last minutes (after midnight whenever the test runs): 3 of 5 connected.
    Check.objects.bulk_create(
        Check(mailbox=mailbox, state=s, ok=s == State.CONNECTED, created_at=now - timedelta(seconds=sec))
        for sec, s in [(50, "disconnected"), (40, "connected"), (30, "connected"), (20, "disconnected"),
                       (10, "connected")]
    )  # fmt: skip
    Mailbox.objects.filter(pk=mailbox.pk).update(created_at=now - timedelta(seconds=60))
    if timezone.localdate(now - timedelta(seconds=60)) != timezone.localdate(now):
        pytest.skip("ran across local midnight")
    summary = history.summary(mailbox.pk, created_at=now - timedelta(seconds=60))
    before = [c for c in summary.cells if c.state == history.BEFORE]
    assert len(before) == 29 and all(c.text == "" for c in before)  # not "not checked"
    today = summary.cells[-1]
    assert today.state == history.PARTIAL and today.text.endswith(": 3 of 5 checks connected")
    assert summary.uptime == pytest.approx(60.0, abs=1)  # 30 of the 50 monitored seconds
    assert summary.since == timezone.localdate(now)

    page = client_a.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    strip = _strip(page)
    assert 'aria-hidden="true"' in strip and "visually-hidden" not in strip  # one sentence, not 30 cells
    assert strip.count("cell-before") == 29 and "not checked" not in strip
    assert "cell-partial" in strip and "cell-disconnected" not in strip
    assert "Since " in page and "1 day with failed checks" in page


def test_uptime_counts_monitored_time_only(user, make_mailbox):
    mailbox = _monitored(make_mailbox, user, "paused@example.test")
    now = timezone.now()
    _history(mailbox, [(10, "disconnected"), (8, "connected")])
    # Paused 4 h ago: 2 h down, 4 h up, the last 4 h not monitored.
    summary = history.summary(mailbox.pk, paused_since=now - timedelta(hours=4))
    assert summary.uptime == pytest.approx(100 * 4 / 6, abs=0.1)
    assert history.summary(mailbox.pk).uptime == pytest.approx(80.0, abs=0.1)


def test_a_day_on_which_every_check_failed_is_red_with_its_counts(user, make_mailbox):
    mailbox = _monitored(make_mailbox, user, "red@example.test")
    now = timezone.now()
    Check.objects.bulk_create(
        Check(mailbox=mailbox, state=s, ok=False, created_at=now - timedelta(seconds=sec))
        for sec, s in [(30, "degraded"), (20, "disconnected")]
    )
    if timezone.localdate(now - timedelta(seconds=30)) != timezone.localdate(now):
        pytest.skip("ran across local midnight")
    today = history.summary(mailbox.pk).cells[-1]
    assert today.state == State.DISCONNECTED and today.text.endswith(": 0 of 2 checks connected")


def test_a_just_connected_mailbox_is_told_when_checks_start(client_a, user, make_mailbox, settings):
    settings.MAIL_HEALTH_INTERVAL = 7200
    waiting = make_mailbox(user, email="new@example.test")
    page = client_a.get(reverse("mailbox_detail", args=[waiting.pk])).content.decode()
    assert "Checks start once the mailbox is connected." in page
    # Connected, and not yet enrolled by the scheduler (within a minute): not "once connected".
    connected = make_mailbox(user, email="now@example.test", status=Mailbox.Status.CONNECTED)
    page = client_a.get(reverse("mailbox_detail", args=[connected.pk])).content.decode()
    assert "Regular checks of this mailbox start within a minute, then run every 2 hours." in page
    assert "once the mailbox is connected" not in page


def test_the_answer_with_a_tests_result_brings_the_health_panel_along(client_a, user, make_mailbox):
    from diagnostics.models import ConnectionTest

    mailbox = make_mailbox(user, email="live@example.test")
    test = ConnectionTest.objects.create(mailbox=mailbox, status="running")
    status = reverse("mailbox_status", args=[mailbox.pk])
    running = client_a.get(status, headers={"HX-Request": "true"}).content.decode()
    assert 'id="health"' not in running  # nothing to say yet: the panel is left alone
    ConnectionTest.objects.filter(pk=test.pk).update(status="connected")
    Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.CONNECTED)
    final = client_a.get(status, headers={"HX-Request": "true"}).content.decode()
    assert (
        final.count('id="health"') == 1
        and 'id="health" aria-labelledby="health-title" hx-swap-oob="outerHTML"' in final
    )
    assert "start within a minute" in final and "monitoring.css" not in final


def test_summary_counts_one_outage_and_its_recovery(user, make_mailbox):
    mailbox = _monitored(make_mailbox, user, "b@example.test")
    _history(
        mailbox,
        [(10, "connected"), (9, "degraded"), (8, "disconnected"), (7, "disconnected"), (5, "connected")],
    )
    summary = history.summary(mailbox.pk)
    assert summary.mttr == timedelta(hours=3) and summary.outages == 1
    assert summary.uptime == pytest.approx(60.0, abs=0.1)  # 6 of 10 hours


def test_the_banner_shows_on_every_page_while_a_mailbox_is_disconnected(client_a, user, make_mailbox):
    assert 'class="health-banner"' not in client_a.get(reverse("mailbox_list")).content.decode()
    mailbox = _monitored(make_mailbox, user, "down@example.test", state=State.DISCONNECTED)
    for url in (reverse("mailbox_list"), reverse("alert_settings"), reverse("mailbox_new")):
        page = client_a.get(url).content.decode()
        assert "down@example.test: Disconnected." in page and f"/mailboxes/{mailbox.pk}/#result" in page


def test_another_users_mailbox_cannot_be_paused(client_a, make_user, make_mailbox):
    theirs = _monitored(make_mailbox, make_user("bob"), "bob@example.test")
    response = client_a.post(reverse("health_pause", args=[theirs.pk]), {"paused": "1"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Health.objects.get(pk=theirs.pk).state == State.CONNECTED


def test_the_owner_pauses_and_resumes(client_a, user, make_mailbox):
    mailbox = _monitored(make_mailbox, user, "mine@example.test")
    client_a.post(reverse("health_pause", args=[mailbox.pk]), {"paused": "1"})
    assert Health.objects.get(pk=mailbox.pk).state == State.PAUSED
    client_a.post(reverse("health_pause", args=[mailbox.pk]), {"paused": "0"})
    assert Health.objects.get(pk=mailbox.pk).state == State.CONNECTED


def test_alert_settings_save_and_refuse_a_private_webhook(client_a, user, settings):
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = []
    response = client_a.post(
        reverse("alert_settings"),
        {"mode": "digest", "webhook_url": "http://192.168.1.5/hook", "webhook_secret": "s"},
    )
    assert response.status_code == 200 and "private or internal" in response.content.decode()
    client_a.post(
        reverse("alert_settings"),
        {"mode": "digest", "webhook_url": "https://hooks.example.com/x", "webhook_secret": "the-secret"},
    )
    pref = AlertPreference.objects.get(user=user)
    assert pref.mode == "digest" and pref.webhook_secret() == "the-secret"
    assert "the-secret" not in client_a.get(reverse("alert_settings")).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "user", "support"])
def test_the_fleet_view_is_for_admins_only(who, login, make_user, support_user):
    person = {"anonymous": None, "user": make_user("plain"), "support": support_user}[who]
    client = login(person)
    for response in (
        client.get(reverse("health_fleet")),
        client.get(reverse("health_fleet"), {"format": "csv"}),
        client.post(reverse("health_fleet_bulk"), {"action": "pause", "ids": ["1"]}),
    ):
        if who == "anonymous":
            assert response.status_code == HTTPStatus.FOUND and "/login/" in response["Location"]
        else:
            assert response.status_code == HTTPStatus.FORBIDDEN


def _fleet(make_user, make_mailbox, n):
    for i in range(n):
        owner = make_user(f"owner{i}")
        state = [State.CONNECTED, State.DISCONNECTED, State.DEGRADED][i % 3]
        provider = ["google", "zoho"][i % 2]
        box = _monitored(
            make_mailbox, owner, f"user{i}@example{i % 2}.test", state=state, provider=provider,
            error_code="imap_auth" if state != State.CONNECTED else "", last_check_at=timezone.now(),
        )  # fmt: skip
        if state == State.DISCONNECTED:
            Alert.objects.create(user=owner, mailbox=box, kind=Alert.Kind.DOWN)


def test_the_fleet_view_reads_in_constant_queries(login, admin_user, make_user, make_mailbox):
    client = login(admin_user)
    _fleet(make_user, make_mailbox, 3)
    with CaptureQueriesContext(connection) as few:
        first = client.get(reverse("health_fleet"))
    for i in range(3, 30):
        owner = make_user(f"more{i}")
        _monitored(make_mailbox, owner, f"m{i}@example.test", state=State.DISCONNECTED, provider="google")
    with CaptureQueriesContext(connection) as many:
        second = client.get(reverse("health_fleet"))
    assert first.status_code == second.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    page = second.content.decode()
    assert "Disconnected</span> 28" in page and "Google (Gmail, Google Workspace)</a> 29" in page


def test_filters_search_and_csv_export_neutralise_formulas(login, admin_user, make_user, make_mailbox):
    client = login(admin_user)
    _fleet(make_user, make_mailbox, 6)
    evil = make_user('=HYPERLINK("x")')
    _monitored(make_mailbox, evil, "evil@example.test", state=State.DISCONNECTED, error_code="imap_auth")
    page = client.get(
        reverse("health_fleet"), {"state": "disconnected", "q": "@example1.test"}
    ).content.decode()
    assert "user1@example1.test" in page and "user4@example0.test" not in page and "user3@" not in page
    assert "Not a state" not in client.get(reverse("health_fleet"), {"state": "nonsense"}).content.decode()
    response = client.get(reverse("health_fleet"), {"state": "disconnected", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][1] == "email" and len(rows) == 1 + 3
    assert [r[2] for r in rows if r[1] == "evil@example.test"] == ['\'=HYPERLINK("x")']


def test_bulk_actions(login, admin_user, make_user, make_mailbox):
    client = login(admin_user)
    _fleet(make_user, make_mailbox, 3)
    ids = [str(pk) for pk in Health.objects.values_list("pk", flat=True)]
    client.post(reverse("health_fleet_bulk"), {"action": "recheck", "ids": ids})
    assert Health.objects.filter(next_check_at__lte=timezone.now()).count() == 3
    client.post(reverse("health_fleet_bulk"), {"action": "notify", "ids": ids})
    assert Alert.objects.filter(kind="down").count() == 2  # one earlier, one now: disconnected ones only
    client.post(reverse("health_fleet_bulk"), {"action": "pause", "ids": ids})
    assert set(Health.objects.values_list("state", flat=True)) == {State.PAUSED}
