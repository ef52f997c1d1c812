from django import template

from core.roles import has_role as _has_role
from core.roles import landing_url

register = template.Library()


@register.filter
def has_role(user, key: str) -> bool:
    """`{% if user|has_role:"support" %}`: for nav links; the pages check again."""
    # Only staff accounts can hold a role: ordinary users cost no permission query.
    return bool(user.is_authenticated and user.is_staff and _has_role(user, key))


@register.filter
def landing(user) -> str:
    """`{{ user|landing }}`: the URL of the person's start page (see roles.landing_url)."""
    return landing_url(user)
