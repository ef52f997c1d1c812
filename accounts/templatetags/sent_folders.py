from django import template

from ..results import likely_sent

register = template.Library()


@register.filter
def is_likely_sent(name: str) -> bool:
    """Only a folder whose name suggests sent mail is pre-selected in the folder list."""
    return likely_sent(str(name))
