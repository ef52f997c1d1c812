from django import template
from django.utils.translation import gettext_lazy

from accounts.autofill import SECURITY_LABELS
from diagnostics.net.errors import kind
from languages.words import say

register = template.Library()

# The steps the probes and the round trip record (diagnostics/net), as a person reads them
# in a test's step list; the key stays on the element (data-step) and in the JSON.
STEP_NAMES = {
    "dns": gettext_lazy("Address lookup"),
    "connect": gettext_lazy("Connection"),
    "tls": gettext_lazy("TLS handshake"),
    "greeting": gettext_lazy("Greeting"),
    "ehlo": gettext_lazy("EHLO"),
    "capability": gettext_lazy("Capabilities"),
    "starttls": gettext_lazy("STARTTLS"),
    "auth": gettext_lazy("Sign-in"),
    "login": gettext_lazy("Sign-in"),
    "list": gettext_lazy("Folder list"),
    "sent_folder": gettext_lazy("Sent folder"),
    "mailbox": gettext_lazy("Mailbox"),
    "send": gettext_lazy("Sending the test message"),
    "find": gettext_lazy("Finding the test message"),
    "sent_filing": gettext_lazy("Copy in the Sent folder"),
    "auth_results": gettext_lazy("Sender checks"),
    "cleanup": gettext_lazy("Clean-up"),
}


@register.filter
def step_name(name):
    """{{ step.name|step_name }}: "greeting" reads "Greeting" (Begrüßung, Salutation…)."""
    return str(STEP_NAMES[name]) if name in STEP_NAMES else name


@register.filter
def security_name(value):
    """{{ settings.smtp.security|security_name }}: as the connect form names it ("ssl" reads
    "SSL/TLS", "none" "no encryption")."""
    return str(SECURITY_LABELS[value]) if value in SECURITY_LABELS else value


@register.filter(name="say")
def say_filter(text):
    """{{ problem.sentence|say }}: the network core's English words in the page's language."""
    return say(text) if isinstance(text, str) else text


@register.filter
def error_title(code):
    """{{ health.error_code|error_title }}: the catalogue's title for a code, in the page's language."""
    return say(kind(code).title) if code else ""
