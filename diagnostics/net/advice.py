"""The advice for one problem as a page shows it: the provider's own step first (with a
deep link), then the reason's advice, then the category's checklist, each tip once.

A problem is one error, or the same failure of SMTP and IMAP said once. The words come
from reasons.py and errors.py; this module only chooses and orders them, and picks
the variant that fits what the page shows (`shown`: reasons.FIX, REPLY, FOLDERS).
"""

from dataclasses import dataclass

from . import provider_help, reasons
from .directory import Provider
from .directory.deep_links import link
from .errors import IMAP_AUTH, SMTP_AUTH, help_for

TIMEOUT_REASONS = frozenset(reasons.WAITED)
AUTH_CODES = frozenset({SMTP_AUTH, IMAP_AUTH})
# Refusals that typing the password again (or an app password) can fix.
PASSWORD_REASONS = frozenset(
    {"wrong_credentials", "app_password_required", "password_expired", "already_refused", ""}
)
# Refusals of any password that only Sign in with Microsoft gets past.
SIGN_IN_REASONS = frozenset({"basic_auth_retired", "basic_auth_disabled", "security_defaults"})
# Failures that are nobody's settings: testing again is the action.
RETRY_REASONS = frozenset({"stuck", "decryption_failed", "temporary_failure", "greeting_temporary"})


@dataclass(frozen=True)
class Tip:
    text: str
    url: str = ""  # a deep link into the provider's help for exactly this step
    link_text: str = ""


@dataclass(frozen=True)
class Failure:
    code: str
    reason: str
    protocol: str


def short_name(provider: Provider) -> str:
    """ "GMX (Germany, Austria, Switzerland)" -> "GMX": the name in a sentence."""
    return provider.name.split(" (", 1)[0]


def _both_refused_login(failures: list[Failure]) -> bool:
    """SMTP and IMAP refused the same login: the password, not an IMAP switch."""
    return len({f.protocol for f in failures}) > 1 and all(f.code in AUTH_CODES for f in failures)


def _topics(failures: list[Failure], provider: Provider | None) -> list[str]:
    if provider is None:
        return []
    found = []
    for failure in failures:
        for topic in provider_help.REASON_TOPICS.get(failure.reason, ()):
            covers_smtp = provider.id in provider_help.SWITCH_COVERS_SMTP
            if (
                topic == provider_help.IMAP_SWITCH
                and not covers_smtp
                and (failure.protocol != "imap" or _both_refused_login(failures))
            ):
                continue
            if link(provider.id, topic) and topic not in found:
                found.append(topic)
    return found


def tips(failures: list[Failure], provider: Provider | None = None, shown=frozenset()) -> list[Tip]:
    """What to try for one problem, most useful first, no tip twice."""
    topics = _topics(failures, provider)
    name = short_name(provider) if provider is not None else ""
    first = []
    for topic in topics:
        text = provider_help.PROVIDER_HELP[topic].format(provider=name)
        first.append(Tip(text, link(provider.id, topic), provider_help.PROVIDER_LINK_TEXT[topic]))
    replaced = {
        reasons.resolve(tip, shown) for t in topics for tip in provider_help.PROVIDER_REPLACES.get(t, ())
    }
    for failure in failures:
        if provider_help.REASON_IS_TOPIC.get(failure.reason) in topics:
            replaced.update(reasons.specific_help(failure.reason, shown))
    if _both_refused_login(failures) and provider_help.IMAP_SWITCH not in topics:
        replaced.add(reasons.IMAP_SWITCH_TIP)
    specific, checklist = [], []
    for failure in failures:
        own = reasons.specific_help(failure.reason, shown)
        specific += own
        checklist += [t for t in help_for(failure.code, failure.reason, shown) if t not in own]
    if len({f.protocol for f in failures}) > 1:  # one tip about both servers
        checklist = [reasons.BOTH_SERVERS_TIP if t == reasons.SMTP_SERVER_TIP else t for t in checklist]
        replaced.add(reasons.IMAP_SERVER_TIP)
    seen = {tip.text for tip in first}
    result = list(first)
    for text in specific + checklist:
        if text not in seen and text not in replaced:
            seen.add(text)
            result.append(Tip(text))
    return result


def waited(reason: str, server: str, seconds: int) -> str:
    """A timeout in words: what we waited for and how long ("" for other reasons)."""
    template = reasons.WAITED.get(reason)
    return template.format(server=server, seconds=seconds) if template else ""


def same_failure(kind: str, email: str) -> str:
    """The one sentence for SMTP and IMAP failing the same way ("" when there is none)."""
    template = reasons.SAME_FAILURE.get(kind)
    return template.format(email=email) if template else ""
