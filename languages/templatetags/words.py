from django import template

from diagnostics.net.errors import kind
from languages.words import say

register = template.Library()


@register.filter(name="say")
def say_filter(text):
    """{{ problem.sentence|say }}: the network core's English words in the page's language."""
    return say(text) if isinstance(text, str) else text


@register.filter
def error_title(code):
    """{{ health.error_code|error_title }}: the catalogue's title for a code, in the page's language."""
    return say(kind(code).title) if code else ""
