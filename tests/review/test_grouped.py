"""The trends view: counts by error code and provider per day, rising trends, the stacked-bar SVG chart,
sortable columns, and "no provider" split by domain."""

import re
from datetime import date, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from review import trends
from review.charts import NARROW, WIDE, nice_step, sparkline, stacked_bars, stacks

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 12)  # a Thursday


def _days(n):
    return [TODAY - timedelta(days=n - 1 - i) for i in range(n)]


@pytest.mark.parametrize(
    "counts,since",
    [
        ([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 5, 8, 9], date(2026, 3, 9)),  # the Monday of the 3
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], None),  # steady
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1, 0, 0, 0], None),  # falling
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], date(2026, 3, 12)),  # new today
        ([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 6], None),  # a blip under the old level
        ([0, 0], None),  # too short to say
    ],
)
def test_it_finds_when_a_rise_began(counts, since):
    assert trends.rising_since(_days(len(counts)), counts) == since


@pytest.fixture
def history(user, make_mailbox, make_failed_test):
    """Zoho imap_auth rising since three days ago; GMX timeouts steady; one old failure outside 14 days."""
    zoho = make_mailbox(user, email="a@zoho.example", provider_id="zoho")
    gmx = make_mailbox(user, email="b@gmx.example", provider_id="gmx")
    today = timezone.localdate()

    def at(days_ago, hour=10):
        return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(hour)))

    for days_ago, n in [(2, 2), (1, 4), (0, 6)]:
        for i in range(n):
            make_failed_test(zoho, "imap_auth", created_at=at(days_ago, i))
    for days_ago in range(14):
        make_failed_test(
            gmx, "timeout", extra_codes=("timeout",), created_at=at(days_ago)
        )  # two errors, one test
    make_failed_test(gmx, "ssl", created_at=at(1), extra_codes=("smtp_auth",))
    make_failed_test(zoho, "imap_auth", created_at=at(30))  # outside the period


def _series(client, **query):
    response = client.get(reverse("review_grouped"), query)
    assert response.status_code == HTTPStatus.OK
    return response, {s.label: s for s in response.context["series"]}


def test_it_groups_by_error_and_provider_and_shows_what_is_rising(client, admin_user, history):
    client.force_login(admin_user)
    response, found = _series(client)
    zoho = found["zoho · imap_auth"]
    assert zoho.counts[-3:] == [2, 4, 6] and zoho.total == 12
    assert zoho.rising_since == timezone.localdate() - timedelta(days=2)
    assert found["gmx · timeout"].counts == [1] * 14  # a test with two timeouts counts once
    assert found["gmx · timeout"].rising_since is None
    assert [s.label for s in response.context["series"][:2]] == ["gmx · timeout", "zoho · imap_auth"]
    body = response.content.decode()
    since = timezone.localdate() - timedelta(days=2)
    assert f'Rising since <time datetime="{since.isoformat()}"' in body  # a date, not a weekday
    assert f">{since.day} {since:%b} {since.year}</time>" in body  # the one date format
    assert f"Rising since {since:%A}" not in body


def test_it_groups_by_code_alone_and_by_provider_alone(client, admin_user, history):
    client.force_login(admin_user)
    _, by_code = _series(client, by="code")
    assert by_code["imap_auth"].total == 12 and by_code["timeout"].total == 14
    assert by_code["ssl"].total == 1 and by_code["smtp_auth"].total == 1
    _, by_provider = _series(client, by="provider")
    assert by_provider["zoho"].total == 12 and by_provider["gmx"].total == 15  # tests, not errors


def test_it_filters_the_grouped_view_and_links_to_the_list(client, admin_user, history):
    client.force_login(admin_user)
    response, found = _series(client, by="both", provider="zoho", days="7")
    assert list(found) == ["zoho · imap_auth"]
    start = (timezone.localdate() - timedelta(days=6)).isoformat()
    assert (
        f"{reverse('review_list')}?code=imap_auth&amp;provider=zoho&amp;since={start}"
        in response.content.decode()
    )
    _, found = _series(client, code="timeout", days="90")
    assert list(found) == ["gmx · timeout"]


@pytest.mark.parametrize(
    "query", [{"days": "100000"}, {"days": "x"}, {"by": "nope"}, {"code": "zzz"}, {"provider": "p" * 99}]
)
def test_it_ignores_bad_grouping_values(client, admin_user, history, query):
    client.force_login(admin_user)
    response = client.get(reverse("review_grouped"), query)
    assert response.status_code == HTTPStatus.OK and "This filter is ignored" in response.content.decode()


def test_it_draws_stacked_bars_with_a_labelled_axis_and_the_legend_on_the_chart(client, admin_user, history):
    client.force_login(admin_user)
    body = client.get(reverse("review_grouped")).content.decode()
    svg = body[body.index('<svg class="chart chart-wide"') : body.index("</svg>")]
    # 14 days of GMX timeouts, 3 days of Zoho imap_auth, one day with ssl and smtp_auth
    assert svg.count('<rect class="bar') == 14 + 3 + 2
    assert "Failed tests</text>" in svg  # the y-axis says what it counts
    for code in ("imap_auth", "timeout", "ssl", "smtp_auth"):
        assert 'class="key"' in svg and f">{code}</text>" in svg  # the legend is inside the drawing
    assert '<svg class="chart chart-narrow"' in body  # a drawing that stays readable on a phone
    assert not re.search(r"\sstyle=", body)  # the CSP forbids inline styles
    assert not re.search(r"<script(?![^>]*\ssrc=)", body)  # and inline scripts


def test_it_keeps_the_query_count_constant(client, admin_user, history, django_assert_max_num_queries):
    client.force_login(admin_user)
    for by in ("both", "code", "provider"):
        with django_assert_max_num_queries(6):
            assert (
                client.get(reverse("review_grouped"), {"by": by, "days": "90"}).status_code == HTTPStatus.OK
            )


@pytest.mark.parametrize("size", [WIDE, NARROW])
def test_it_stacks_bars_inside_the_drawing_on_a_round_scale(size):
    days = _days(5)
    found = [("imap_auth", [0, 5, 10, 0, 2]), ("timeout", [1, 1, 3, 0, 0])]
    chart = stacked_bars(days, found, size)
    assert chart["max"] == 15 and [t.label for t in chart["y_ticks"]] == ["0", "5", "10", "15"]
    for s in chart["segments"]:
        assert chart["left"] <= s.x and s.x + s.width <= chart["right"]
        assert chart["top_y"] <= s.y and s.y + s.height <= chart["base_y"] + 0.2
    tallest = [s for s in chart["segments"] if s.title.startswith(f"{days[2].day} ")]
    plot = chart["base_y"] - chart["top_y"]
    assert round(sum(s.height for s in tallest)) == round(plot * 13 / 15)  # 10 + 3 on a scale to 15
    assert chart["x_ticks"][0].label == f"{TODAY.day} Mar"  # today is always labelled, as a date
    assert all(k.x + 18 < chart["width"] for k in chart["keys"])
    assert re.fullmatch(r"[\d., ]+", sparkline([0, 0, 0]))


def test_it_rounds_the_scale_and_folds_small_stacks_into_others():
    assert [nice_step(n) for n in (0, 3, 9, 17, 40, 130, 999)] == [1, 1, 5, 5, 10, 50, 500]

    class S:
        def __init__(self, code, n):
            self.code, self.counts, self.provider_label = code, [n, n], code

    folded = stacks([S(f"c{i}", i + 1) for i in range(10)], "code", limit=4)
    assert [label for label, _ in folded] == ["c9", "c8", "c7", "7 others"]
    assert folded[-1][1] == [sum(range(1, 8))] * 2


def test_it_splits_no_provider_by_domain_and_links_to_that_domain(
    client, admin_user, user, make_mailbox, make_failed_test
):
    now = timezone.now()
    for email in ("a@acme.example", "b@acme.example", "c@Tiny.Example"):
        make_failed_test(make_mailbox(user, email=email, provider_id=""), "timeout", created_at=now)
    client.force_login(admin_user)
    response, found = _series(client)
    assert found["no provider (acme.example) · timeout"].total == 2
    assert found["no provider (tiny.example) · timeout"].total == 1
    assert "provider=-&amp;q=%40acme.example" in response.content.decode()
    _, by_provider = _series(client, by="provider")
    assert by_provider["no provider (acme.example)"].total == 2


def test_it_sorts_by_any_column_from_its_header(client, admin_user, history):
    client.force_login(admin_user)
    response, _ = _series(client)
    assert 'aria-sort="descending"><a href="?sort=total&amp;dir=asc">Total' in response.content.decode()
    labels = lambda r: [s.label for s in r.context["series"]]  # noqa: E731
    assert labels(response)[0] == "gmx · timeout"  # the largest total first by default
    rising = client.get(reverse("review_grouped"), {"sort": "rising", "dir": "desc"})
    assert labels(rising)[0] == "zoho · imap_auth"
    by_name = client.get(reverse("review_grouped"), {"sort": "group", "dir": "asc"})
    assert labels(by_name) == sorted(labels(by_name))
    bad = client.get(reverse("review_grouped"), {"sort": "nope", "dir": "sideways"})
    assert bad.status_code == HTTPStatus.OK and labels(bad)[0] == "gmx · timeout"


def test_it_caches_the_daily_counts_briefly(client, admin_user, history, settings):
    from django.core.cache import cache

    key = trends.cache_key("both", 30, "", "")
    cache.delete(key)  # only our key: the cache may be a Redis shared with the broker
    settings.REVIEW_TRENDS_CACHE_SECONDS = 60
    client.force_login(admin_user)
    try:
        first = client.get(reverse("review_grouped"), {"days": "30"})
        with CaptureQueriesContext(connection) as queries:
            second = client.get(reverse("review_grouped"), {"days": "30"})
    finally:
        cache.delete(key)
    assert [s.counts for s in first.context["series"]] == [s.counts for s in second.context["series"]]
    # Session, user, permissions and (without Redis) the cache table: no aggregate over tests.
    assert not [q["sql"] for q in queries if "diagnostics_" in q["sql"]]
