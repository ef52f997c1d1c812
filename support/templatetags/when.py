"""`{% when value %}`: one way to show a moment on every page.

The server writes a <time> element with a sane fallback in the site's time zone:
"3 min ago" while recent, a date after that, the exact time in the title.
static/js/local-time.js then rewrites both in the viewer's own zone and language,
and keeps the relative words current while the page stays open.
"""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

RECENT = timedelta(days=7)  # past this, a date reads better than "12 days ago"


def relative(value: datetime, now: datetime | None = None) -> str:
    """'just now', '3 min ago', '5 hours ago', '2 days ago' (or 'in 3 min' ahead)."""
    seconds = ((now or timezone.now()) - value).total_seconds()
    ahead, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return _("just now")
    if seconds < 3600:
        n = max(1, round(seconds / 60))
        if ahead:
            return ngettext("in %(n)s min", "in %(n)s min", n) % {"n": n}
        return ngettext("%(n)s min ago", "%(n)s min ago", n) % {"n": n}
    if seconds < 86400:
        n = round(seconds / 3600)
        if ahead:
            return ngettext("in %(n)s hour", "in %(n)s hours", n) % {"n": n}
        return ngettext("%(n)s hour ago", "%(n)s hours ago", n) % {"n": n}
    n = round(seconds / 86400)
    if ahead:
        return ngettext("in %(n)s day", "in %(n)s days", n) % {"n": n}
    return ngettext("%(n)s day ago", "%(n)s days ago", n) % {"n": n}


def date_text(local: datetime) -> str:
    """ "3 Feb 2026": the month's short name in the active language."""
    return date_format(local, "j M Y")


def exact_text(local: datetime) -> str:
    return f"{date_text(local)}, {local:%H:%M} {local.tzname() or ''}".strip()


@register.filter(name="when")
def when_filter(value, style: str = "relative"):
    """`{{ value|when }}`, `{{ value|when:"exact" }}`: the same as the tag, for places a
    tag cannot go (inside `{% blocktranslate with %}`). "text": the words alone, without
    the <time> element (an SVG title, an attribute)."""
    if style == "text":
        if not value:
            return ""
        if not isinstance(value, datetime):
            return date_text(value)
        return exact_text(
            timezone.localtime(value if timezone.is_aware(value) else timezone.make_aware(value))
        )
    return when(value, style, empty="")


@register.simple_tag
def when(value, style: str = "relative", empty: str | None = None):
    """style: "relative" (words while recent, else the date), "date" or "exact". Every date
    on every page goes through here: one format, the zone named on exact times."""
    if not value:
        return _("never") if empty is None else empty
    if not isinstance(value, datetime):  # a date has no time zone to convert
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_text(value))
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    local = timezone.localtime(value)
    if style == "exact":
        text = exact_text(local)
    elif style == "date" or abs(timezone.now() - value) > RECENT:
        text = date_text(local)
    else:
        text = relative(value)
    return format_html(
        '<time datetime="{}" title="{}" data-when="{}">{}</time>',
        value.isoformat(),
        exact_text(local),
        style,
        text,
    )
