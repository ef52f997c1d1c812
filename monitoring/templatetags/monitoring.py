from django import template
from django.conf import settings
from django.utils.translation import gettext, ngettext, pgettext

from .. import alerts, fleet, history, state
from ..models import Health, State

register = template.Library()


@register.inclusion_tag("monitoring/health_panel.html", takes_context=True)
def health_panel(context, mailbox, oob=False, mailbox_state=None):
    """The mailbox page's health: state, 30-day strip, uptime, last failure, time to recovery.
    oob: the panel rides out of band on the answer that shows a test's result.
    mailbox_state: the page's state of the mailbox (worked out here when not given)."""
    health = Health.objects.filter(pk=mailbox.pk).first()
    if not mailbox_state:
        mailbox_state = state.for_mailboxes([mailbox], {mailbox.pk: health})[mailbox.pk]
    summary = None
    if health is not None:
        paused = health.state_changed_at if health.state == State.PAUSED else None
        summary = history.summary(mailbox.pk, created_at=mailbox.created_at, paused_since=paused)
    last = summary.last_failure if summary else None
    return {
        "mailbox": mailbox,
        "health": health,
        "state": mailbox_state,
        "summary": summary,
        "why": alerts.explain(last) if last else None,
        "interval": settings.MAIL_HEALTH_INTERVAL,
        "oob": oob,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def duration(value) -> str:
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": max(minutes, 1)}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return ngettext("%(days)s day", "%(days)s days", hours // 24) % {"days": hours // 24}


@register.filter
def every(seconds: int) -> str:
    """3600 -> "hour", 1800 -> "30 minutes", 7200 -> "2 hours"."""
    minutes = max(1, int(seconds) // 60)
    if minutes % 60:
        if minutes == 1:
            return pgettext("every …", "minute")
        return ngettext("%(n)s minutes", "%(n)s minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours == 1:
        return pgettext("every …", "hour")
    return ngettext("%(n)s hours", "%(n)s hours", hours) % {"n": hours}


@register.filter
def provider_label(provider_id: str) -> str:
    """A provider's name ("Own server" for a mailbox with none), never its internal id."""
    return fleet.provider_label(provider_id)
