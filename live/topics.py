"""Who may watch a topic, and when a topic fires by itself.

`live` knows nothing of mailboxes or tests: the apps that own a kind of topic register
it in their AppConfig.ready(). A topic is `<prefix>-<key>`, e.g. `test-17`,
`mailbox-4` or `detect-example.com`. Several apps may register one prefix: a user may
watch a topic when any of its rules says yes (the owner of a test, or an admin).
"""

import re
from collections.abc import Callable
from datetime import datetime

# Matched whole (fullmatch: `$` would let a trailing line feed through into the event
# framing). Keys are lower case, so a domain has one name.
TOPIC = re.compile(r"([a-z]+)-([a-z0-9._-]{1,190})")

CanWatch = Callable[[object, str], bool]
WakeAt = Callable[[str], list[datetime]]

_can_watch: dict[str, list[CanWatch]] = {}
_wake_at: dict[str, WakeAt] = {}


def register(prefix: str, can_watch: CanWatch, wake_at: WakeAt | None = None) -> None:
    """can_watch(user, key) -> bool; wake_at(key) -> the moments at which the stream
    should send the topic's event by itself: when what the page shows changes with
    time alone (a deadline the page must notice even if no process is left to publish
    it)."""
    rules = _can_watch.setdefault(prefix, [])
    if can_watch not in rules:  # ready() may run twice in tests
        rules.append(can_watch)
    if wake_at is not None:
        _wake_at[prefix] = wake_at


def split(topic: str) -> tuple[str, str] | None:
    """(prefix, key) of a well-formed topic in its one canonical spelling, else None:
    `test-01` is refused rather than taken as a second name for `test-1`."""
    match = TOPIC.fullmatch(topic)
    if match is None or (match[2].isdigit() and match[2] != str(int(match[2]))):
        return None
    return match[1], match[2]


def allowed(user, topic: str) -> bool:
    """False for malformed or unknown topics and for users no rule lets in."""
    parts = split(topic)
    if parts is None or not getattr(user, "is_authenticated", False):
        return False
    prefix, key = parts
    return any(rule(user, key) for rule in _can_watch.get(prefix, ()))


def wake_at(topic: str) -> list[datetime]:
    parts = split(topic)
    if parts is None or parts[0] not in _wake_at:
        return []
    return list(_wake_at[parts[0]](parts[1]))
