from django import template

from .. import alerts, history
from ..models import Health

register = template.Library()


@register.inclusion_tag("monitoring/health_panel.html", takes_context=True)
def health_panel(context, mailbox):
    """The mailbox page's health: state, 30-day strip, uptime, last failure, time to recovery."""
    health = Health.objects.filter(pk=mailbox.pk).first()
    summary = history.summary(mailbox.pk) if health is not None else None
    last = summary.last_failure if summary else None
    return {
        "mailbox": mailbox,
        "health": health,
        "summary": summary,
        "why": alerts.explain(last) if last else None,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


@register.filter
def duration(value) -> str:
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"
