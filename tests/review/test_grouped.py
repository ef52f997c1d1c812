"""The grouped view: counts by error code and provider per day, rising trends, the SVG chart."""

import re
from datetime import date, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from review import trends
from review.charts import line_chart, sparkline

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
    assert response.context["series"][0] is zoho  # the rising series comes first
    assert found["gmx · timeout"].counts == [1] * 14  # a test with two timeouts counts once
    assert found["gmx · timeout"].rising_since is None
    body = response.content.decode()
    since = (timezone.localdate() - timedelta(days=2)).strftime("%A")
    assert f"Rising since {since}" in body


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


def test_it_draws_an_svg_chart_without_inline_styles(client, admin_user, history):
    client.force_login(admin_user)
    body = client.get(reverse("review_grouped")).content.decode()
    svg = body[body.index('<svg class="chart"') : body.index("</svg>")]
    assert svg.count("<polyline") == 4 and "zoho · imap_auth" in svg
    assert not re.search(r"\sstyle=", body)  # the CSP forbids inline styles
    assert not re.search(r"<script(?![^>]*\ssrc=)", body)  # and inline scripts


def test_it_keeps_the_query_count_constant(client, admin_user, history, django_assert_max_num_queries):
    client.force_login(admin_user)
    for by in ("both", "code", "provider"):
        with django_assert_max_num_queries(6):
            assert (
                client.get(reverse("review_grouped"), {"by": by, "days": "90"}).status_code == HTTPStatus.OK
            )


def test_it_scales_chart_points_inside_the_drawing():
    days = _days(5)

    class S:
        label, counts = "x", [0, 5, 10, 0, 2]

    chart = line_chart(days, [S()])
    points = [tuple(map(float, p.split(","))) for p in chart["lines"][0].points.split()]
    assert points[0][0] == chart["left"] and points[-1][0] == chart["right"]
    assert min(y for _, y in points) == chart["top_y"] and max(y for _, y in points) == chart["base_y"]
    assert re.fullmatch(r"[\d., ]+", sparkline([0, 0, 0]))


def test_it_caches_the_daily_counts_briefly(client, admin_user, history, settings, django_assert_num_queries):
    from django.core.cache import cache

    key = trends.cache_key("both", 30, "", "")
    cache.delete(key)  # only our key: the cache may be a Redis shared with the broker
    settings.REVIEW_TRENDS_CACHE_SECONDS = 60
    client.force_login(admin_user)
    try:
        first = client.get(reverse("review_grouped"), {"days": "30"})
        with django_assert_num_queries(3):  # user, permissions x2 (sessions are cached): no aggregate
            second = client.get(reverse("review_grouped"), {"days": "30"})
    finally:
        cache.delete(key)
    assert [s.counts for s in first.context["series"]] == [s.counts for s in second.context["series"]]
