"""The live topics diagnostics publishes, and who may watch them (see live.topics).

- `test-<id>`: a connection test changed (a step written, started, finished): its
  mailbox's owner (review lets admins in too, from its own AppConfig).
- `mailbox-<id>`: a mailbox's latest test or state changed: its owner.
- `detect-<domain>`: the autodetection answer for a domain is stored: any signed-in
  user (it is the same public answer for everyone).
"""

from core.ids import as_id
from live import topics


def _is_id(key: str) -> bool:
    return as_id(key) is not None


def _test_owner(user, key: str) -> bool:
    from .models import ConnectionTest

    return _is_id(key) and ConnectionTest.objects.filter(pk=key, mailbox__user=user).exists()


def _test_changes(key: str) -> list:
    """A test that is not final fires once its deadline passes, so that the page shows
    the failure even when no worker is left to say so (and when a queued test starts
    saying that no worker has picked it up)."""
    from .models import ConnectionTest

    if not _is_id(key):
        return []
    test = (
        ConnectionTest.objects.filter(pk=key)
        .only("status", "created_at", "deadline_at", "checks_until")
        .first()
    )
    return test.changes_by_itself_at() if test is not None else []


def _mailbox_owner(user, key: str) -> bool:
    from accounts.models import Mailbox

    return _is_id(key) and Mailbox.objects.filter(pk=key, user=user).exists()


def _signed_in(user, key: str) -> bool:
    return user.is_authenticated


def register() -> None:
    topics.register("test", _test_owner, wake_at=_test_changes)
    topics.register("mailbox", _mailbox_owner)
    topics.register("detect", _signed_in)
