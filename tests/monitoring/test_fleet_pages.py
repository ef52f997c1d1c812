"""The fleet view as an admin uses it: reached from the staff navigation, every row a
link to its mailbox, providers by name, a chart with axes and dates, and every
monitored mailbox listed, imported ones included."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics.models import ConnectionTest
from imports import rows as R
from imports.saving import save_batch
from monitoring.models import Alert, Health, State
from tests.staff_fixtures import admin_user, login, support_user  # noqa: F401

pytestmark = pytest.mark.django_db


def _monitored(make_mailbox, owner, email, provider="", **health):
    mailbox = make_mailbox(owner, email=email, status=Mailbox.Status.CONNECTED, provider_id=provider)
    Health.objects.create(mailbox=mailbox, state_changed_at=timezone.now(), **health)
    return mailbox


def test_the_fleet_is_in_the_admins_navigation_only(login, admin_user, support_user, make_user):  # noqa: F811
    fleet = f'href="{reverse("health_fleet")}"'
    assert fleet in login(admin_user).get(reverse("review_list")).content.decode()
    assert fleet not in login(support_user).get(reverse("support_queue")).content.decode()
    assert fleet not in login(make_user("plain")).get(reverse("mailbox_list")).content.decode()


def test_every_row_links_to_the_admins_view_of_its_mailbox(login, admin_user, make_user, make_mailbox):  # noqa: F811
    client = login(admin_user)
    tested = _monitored(make_mailbox, make_user("t"), "tested@example.test", provider="google")
    test = ConnectionTest.objects.create(mailbox=tested, status="connected")
    untested = _monitored(make_mailbox, make_user("u"), "untested@example.test")
    page = client.get(reverse("health_fleet")).content.decode()
    for mailbox in (tested, untested):
        link = reverse("health_fleet_mailbox", args=[mailbox.pk])
        assert f'<a href="{link}">{mailbox.email}</a>' in page
    response = client.get(reverse("health_fleet_mailbox", args=[tested.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("review_detail", args=[test.pk])
    response = client.get(reverse("health_fleet_mailbox", args=[untested.pk]))
    assert response.status_code == 200 and "No test has run on this mailbox yet" in response.content.decode()
    assert client.get(reverse("health_fleet_mailbox", args=[99999])).status_code == 404


@pytest.mark.parametrize("who", ["user", "support"])
def test_a_rows_mailbox_is_for_admins_only(who, login, make_user, make_mailbox, support_user):  # noqa: F811
    person = {"user": make_user("plain"), "support": support_user}[who]
    theirs = _monitored(make_mailbox, make_user("owner"), "owner@example.test")
    assert login(person).get(reverse("health_fleet_mailbox", args=[theirs.pk])).status_code == 403


def test_providers_are_named_and_the_chart_has_axes_and_dates(login, admin_user, make_user, make_mailbox):  # noqa: F811
    client = login(admin_user)
    _monitored(make_mailbox, make_user("a"), "a@gmail.example", provider="google")
    down = _monitored(make_mailbox, make_user("b"), "b@own.example", state=State.DISCONNECTED)
    Alert.objects.create(user=down.user, mailbox=down, kind=Alert.Kind.DOWN)
    page = client.get(reverse("health_fleet")).content.decode()
    counts = page[
        page.index('aria-label="Counts"') : page.index("</section>", page.index('aria-label="Counts"'))
    ]
    assert ">Google (Gmail, Google Workspace)</a> 1" in counts and ">Own server</a> 1" in counts
    assert ">-</a>" not in counts and "- 1" not in counts
    chart = page[page.index('<svg class="fleet-chart"') : page.index("</svg>")]
    assert ">Disconnections</text>" in chart and ">Day</text>" in chart
    today = timezone.localdate()
    first = today - timedelta(days=29)
    for day in (first, today):
        assert f">{day.day} {day:%b} {day.year}</text>" in chart  # the first and the last day
    assert '<text x="34" y="10" text-anchor="end">1</text>' in chart  # the count axis' top
    assert f"<title>{today.day} {today:%b} {today.year}: 1</title>" in chart


def test_an_imported_connected_mailbox_is_monitored_and_listed_at_once(login, admin_user, make_user):  # noqa: F811
    owner = make_user("importer")
    # A long-monitored fleet: more rows than a page, none changed recently.
    for i in range(60):
        mailbox = Mailbox.objects.create(user=owner, email=f"old{i}@example.test", status="connected")
        Health.objects.create(mailbox=mailbox, state_changed_at=timezone.now() - timedelta(days=9))
    servers = {"smtp_host": "127.0.0.1", "smtp_port": 587, "imap_host": "127.0.0.1", "imap_port": 993}
    connected = R.Candidate(2, email="imported@example.test", sent_folder="Sent", **servers)
    draft = R.Candidate(
        3,
        email="draft@example.test",
        smtp_host="127.0.0.1",
        smtp_port=587,
        imap_host="127.0.0.1",
        imap_port=993,
    )
    made, drafted = save_batch(owner, [(connected, "", True), (draft, "", False)])
    assert Health.objects.filter(pk=made.pk).exists() and not Health.objects.filter(pk=drafted.pk).exists()
    page = login(admin_user).get(reverse("health_fleet")).content.decode()  # the first page
    assert "imported@example.test" in page and "draft@example.test" not in page


def test_the_filters_offer_only_values_that_occur_with_counts(login, admin_user, make_user, make_mailbox):  # noqa: F811
    client = login(admin_user)
    for i, (state, code, reason) in enumerate(
        [
            (State.DISCONNECTED, "imap_auth", "wrong_credentials"),
            (State.DISCONNECTED, "imap_auth", "wrong_credentials"),
            (State.DEGRADED, "timeout", "connect_timeout"),
            (State.CONNECTED, "", ""),
        ]
    ):
        _monitored(make_mailbox, make_user(f"f{i}"), f"f{i}@example.test", state=state,
                   error_code=code, error_reason=reason)  # fmt: skip
    page = client.get(reverse("health_fleet")).content.decode()
    form = page[
        page.index('aria-label="Filters"') : page.index("</form>", page.index('aria-label="Filters"'))
    ]
    options = [o for o in form.split("<option")[1:]]
    assert not any("(0)" in o for o in options)
    assert '<option value="disconnected">Disconnected (2)</option>' in form
    assert '<option value="paused">' not in form  # no mailbox is paused
    assert ">IMAP authentication error (2)</option>" in form and ">Timeout error (1)</option>" in form
    assert ">Wrong credentials (2)</option>" in form and ">Connection timed out (1)</option>" in form
    assert "ssl" not in form  # an error no mailbox has is not offered
