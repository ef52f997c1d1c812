from django import template

from diagnostics.net.errors import kind
from languages.words import say

register = template.Library()


def _get(error, name: str) -> str:
    return (error.get(name) if isinstance(error, dict) else getattr(error, name, "")) or ""


@register.filter
def error_words(error) -> str:
    """An error (a TestError, or its copy in a support request) in words, with its
    protocol when the title does not say it: "Timeout error (IMAP)", in the page's language."""
    title = say(_get(error, "title") or kind(_get(error, "code")).title)
    protocol = _get(error, "protocol").upper()
    if protocol in ("SMTP", "IMAP") and protocol not in title:
        return f"{title} ({protocol})"
    return title
