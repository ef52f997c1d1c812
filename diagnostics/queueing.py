"""What the outbox tells a connection test: held (the broker is away: the page says the
test waits for the queue, and its deadline waits too) and handed over after a wait (the
deadline starts now)."""

from django.db.models import Q
from django.utils import timezone

from core import dispatch, outbox
from live.publish import publish_many

from .models import ConnectionTest


def _test_id(args) -> int | None:
    return args[0] if args and isinstance(args[0], int) else None


def on_held(sender: str, args, error: str, **_) -> None:
    test_id = _test_id(args)
    if sender != dispatch.RUN_CONNECTION_TEST or test_id is None:
        return
    changed = ConnectionTest.objects.filter(
        pk=test_id, status=ConnectionTest.Status.QUEUED, held_since__isnull=True
    ).update(held_since=timezone.now())
    if changed:
        _publish(test_id)


def on_handed(sender: str, batch: list, **_) -> None:
    """The deadline of each test that waited starts now: a few UPDATEs for the whole batch."""
    ids = [_test_id(args) for args, waited in batch if waited]
    if sender != dispatch.RUN_CONNECTION_TEST or not any(ids):
        return
    waiting = ConnectionTest.objects.filter(
        pk__in=[i for i in ids if i], status=ConnectionTest.Status.QUEUED
    ).filter(Q(held_since__isnull=False) | Q(handed_at__isnull=True))
    tests = list(waiting.only("pk", "mailbox_id", "round_trip_requested"))
    for round_trip in (False, True):
        alike = [t for t in tests if t.round_trip_requested == round_trip]
        if alike:
            ConnectionTest.objects.filter(
                pk__in=[t.pk for t in alike], status=ConnectionTest.Status.QUEUED
            ).update(held_since=None, handed_at=timezone.now(), deadline_at=alike[0].default_deadline())
    if tests:
        publish_many([topic for t in tests for topic in (f"test-{t.pk}", f"mailbox-{t.mailbox_id}")])


def _publish(test_id: int, mailbox_id: int | None = None) -> None:
    if mailbox_id is None:
        mailbox_id = ConnectionTest.objects.filter(pk=test_id).values_list("mailbox_id", flat=True).first()
    publish_many([f"test-{test_id}", f"mailbox-{mailbox_id}"])


def connect() -> None:
    outbox.held.connect(on_held, dispatch_uid="diagnostics.held")
    outbox.handed.connect(on_handed, dispatch_uid="diagnostics.handed")
