from django import template

from review.reason_words import reason_label

register = template.Library()


@register.filter
def reason_words(reason: str) -> str:
    """`{{ error.reason|reason_words }}`: "cert_untrusted" reads "Certificate untrusted"."""
    return reason_label(reason) if reason else ""
