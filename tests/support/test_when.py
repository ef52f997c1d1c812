"""`{% when %}`: one <time> for every date on the staff and account pages."""

from datetime import date, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from support.templatetags.when import relative


def _render(value, style="relative"):
    return Template("{% load when %}{% when value style %}").render(Context({"value": value, "style": style}))


@pytest.mark.parametrize(
    "ago,words",
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(minutes=3), "3 min ago"),
        (timedelta(hours=1, minutes=10), "1 hour ago"),
        (timedelta(hours=5), "5 hours ago"),
        (timedelta(days=2), "2 days ago"),
        (-timedelta(minutes=5), "in 5 min"),
    ],
)
def test_it_says_how_long_ago_in_words(ago, words):
    now = timezone.now()
    assert relative(now - ago, now) == words


def test_it_renders_a_time_element_the_browser_can_localise(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = timezone.now() - timedelta(minutes=3)
    html = _render(moment)
    assert html.startswith(f'<time datetime="{moment.isoformat()}" title="')
    assert 'data-when="relative">3 min ago</time>' in html
    assert (
        "CET" in html or "CEST" in html
    )  # the exact time, in the site's zone until the browser's takes over


def test_it_shows_a_date_once_it_is_not_recent_and_an_exact_time_on_request():
    old = timezone.now() - timedelta(days=40)
    local = timezone.localtime(old)
    assert f">{local.day} {local:%b} {local.year}</time>" in _render(old)
    exact = f">{local.day} {local:%b} {local.year}, {local:%H:%M} {local.tzname()}</time>"
    assert exact in _render(old, "exact")


def test_it_copes_with_nothing_and_with_plain_dates():
    assert _render(None) == "never"
    assert _render(date(2026, 3, 9)) == '<time datetime="2026-03-09">9 Mar 2026</time>'


def test_the_filter_is_the_tag_and_its_text_names_the_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = timezone.now() - timedelta(days=20)
    tag = _render(moment, "exact")
    assert Template("{% load when %}{{ value|when:'exact' }}").render(Context({"value": moment})) == tag
    text = Template("{% load when %}{{ value|when:'text' }}").render(Context({"value": moment}))
    assert "<" not in text and ("CET" in text or "CEST" in text)


def test_no_template_formats_a_date_of_its_own():
    """One format on every page: dates go through `when`, never Django's date filter."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    own = [
        f"{path.relative_to(root)}: {match}"
        for path in root.rglob("*.html")
        for match in re.findall(r"\|(?:date|time|naturaltime|timesince)\b[^}]*", path.read_text())
    ]
    assert own == []
