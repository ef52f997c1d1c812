"""One health check: the login test through diagnostics' own flow, then the state it leads to.

The check is a ConnectionTest run by diagnostics.flows.execute_test (OAuth tokens are
renewed there, the wrong-password pause applies there), so a check and a person's test
read the same way everywhere. What a failure means (transient or permanent) is the
error catalogue's call (diagnostics.net.errors.is_transient).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Mailbox
from diagnostics import flows
from diagnostics.models import ConnectionTest
from diagnostics.net.errors import is_transient
from live.publish import publish

from . import alerts, hostslots, schedule
from .models import Check, Health, State

log = logging.getLogger(__name__)

BUSY_RETRY = timedelta(minutes=1)


@dataclass
class Outcome:
    mailbox_id: int
    email: str
    before: str
    after: str
    check: Check | None
    skipped: str = ""  # why no check ran: "paused", "busy", "no_slot", "gone"

    def as_dict(self) -> dict:
        c = self.check
        return {
            "id": self.mailbox_id,
            "email": self.email,
            "before": self.before,
            "after": self.after,
            "error_code": c.error_code if c else "",
            "reason": c.error_reason if c else "",
            "skipped": self.skipped,
        }


def ensure_health(mailbox: Mailbox) -> Health:
    offset = schedule.offset_for(mailbox.pk)
    health, _ = Health.objects.get_or_create(
        mailbox=mailbox,
        defaults={
            "offset": offset,
            "next_check_at": schedule.next_slot(offset, timezone.now()),
            "state_changed_at": timezone.now(),
        },
    )
    return health


def _test_under_way(mailbox: Mailbox) -> bool:
    return mailbox.tests.pending().exists()


def run_check(mailbox_id: int, claim: str | None = None, slot_wait: float | None = None) -> Outcome | None:
    """Run one check and record it; the claim is always released. With a claim token (from
    schedule.claim_batch/claim), only the first delivery of it runs."""
    if claim is not None and not schedule.take(mailbox_id, claim):
        return None  # a duplicate delivery, or a claim that went stale and was given to another
    health = Health.objects.select_related("mailbox").filter(pk=mailbox_id).first()
    if health is None:
        return None
    mailbox = health.mailbox
    before = health.state
    if before == State.PAUSED:
        schedule.release(mailbox_id)
        return Outcome(mailbox_id, mailbox.email, before, before, None, "paused")
    if _test_under_way(mailbox):  # a person's test (or another check) is running: never stack
        schedule.release(mailbox_id, timezone.now() + BUSY_RETRY)
        return Outcome(mailbox_id, mailbox.email, before, before, None, "busy")
    hosts = [mailbox.smtp_host.lower(), mailbox.imap_host.lower()]  # one slot per login
    holder = uuid.uuid4().hex
    wait = settings.MAIL_PROBE_DEADLINE * 2 if slot_wait is None else slot_wait
    if not hostslots.acquire(hosts, holder, wait):
        schedule.release(mailbox_id, timezone.now() + BUSY_RETRY)
        return Outcome(mailbox_id, mailbox.email, before, before, None, "no_slot")
    try:
        test = ConnectionTest(
            mailbox=mailbox, settings=mailbox.settings_snapshot(), provider_id=mailbox.provider_id
        )
        test.deadline_at = test.default_deadline()
        test.save()
        finished = flows.execute_test(test.pk)
    finally:
        hostslots.release(hosts, holder)
    if finished is None:  # claimed elsewhere first (never, with a fresh test): read what it wrote
        test.refresh_from_db()
        finished = flows.Finished(test, list(test.errors.all()))
    return record(mailbox_id, finished)


def record(mailbox_id: int, finished: flows.Finished) -> Outcome:
    """Write the check and move the mailbox's state; alerts go out after commit."""
    test, errors = finished
    ok = test.status == ConnectionTest.Status.CONNECTED
    transient = bool(errors) and all(is_transient(e.code, e.reason, e.server_reply) for e in errors)
    first = errors[0] if errors else None
    ms = 0
    if test.started_at and test.finished_at:
        ms = int((test.finished_at - test.started_at).total_seconds() * 1000)
    now = timezone.now()
    with transaction.atomic():
        health = Health.objects.select_for_update().select_related("mailbox").get(pk=mailbox_id)
        before = health.state
        after, health.next_check_at = _next_state(health, ok, transient, now)
        check = Check.objects.create(
            mailbox_id=mailbox_id,
            test=test,
            state=after,
            ok=ok,
            transient=transient and not ok,
            error_code=first.code if first else "",
            error_reason=first.reason if first else "",
            server_reply=(first.server_reply if first else "")[:300],
            ms=ms,
            created_at=now,
        )
        health.state = after
        health.last_check_at = now
        health.claimed_at = None
        if not ok:
            health.error_code, health.error_reason = check.error_code, check.error_reason
            health.transient = transient
        if after != before:
            health.state_changed_at = now
        health.save()
        if after != before:
            alerts.state_changed(health, before, after, check)
            publish(f"mailbox-{mailbox_id}")
    return Outcome(mailbox_id, health.mailbox.email, before, after, check)


def _next_state(health: Health, ok: bool, transient: bool, now):
    """(state after, next check time) for a check's result."""
    slot = schedule.after_check(health.offset, now)
    if health.state == State.PAUSED:  # paused while the check ran: keep it paused
        return State.PAUSED, None
    if ok:
        health.failures = 0
        return State.CONNECTED, slot
    if not transient:
        # Needs the owner: never retried in a loop (a wrong password would lock the account).
        health.failures = 0
        return State.DISCONNECTED, None
    health.failures += 1
    backoff = settings.MAIL_HEALTH_BACKOFF_MINUTES
    if health.state == State.DISCONNECTED:
        return State.DISCONNECTED, slot  # an outage: keep looking, once per interval
    if health.failures <= len(backoff):
        return State.DEGRADED, now + timedelta(minutes=backoff[health.failures - 1])
    return State.DISCONNECTED, slot


def owner_fixed(mailbox_id: int) -> Outcome | None:
    """The owner's own test connected a disconnected mailbox: it is connected again."""
    with transaction.atomic():
        health = Health.objects.select_for_update().select_related("mailbox").filter(pk=mailbox_id).first()
        if health is None or health.state != State.DISCONNECTED:
            return None
        now = timezone.now()
        # No test linked: the owner's test is theirs, and retention deletes only checks' own tests.
        check = Check.objects.create(mailbox_id=mailbox_id, state=State.CONNECTED, ok=True, created_at=now)
        health.state, health.state_changed_at, health.failures = State.CONNECTED, now, 0
        health.next_check_at = schedule.after_check(health.offset, now)
        health.save()
        alerts.state_changed(health, State.DISCONNECTED, State.CONNECTED, check)
        publish(f"mailbox-{mailbox_id}")
    return Outcome(mailbox_id, health.mailbox.email, State.DISCONNECTED, State.CONNECTED, check)


def set_paused(health: Health, paused: bool, by=None) -> None:
    """The owner or an admin turns checks off (or back on)."""
    now = timezone.now()
    if paused and health.state != State.PAUSED:
        health.state, health.next_check_at, health.paused_by = State.PAUSED, None, by
    elif not paused and health.state == State.PAUSED:
        # Back on: checked at once, from a clean slate.
        health.state, health.next_check_at, health.paused_by, health.failures = State.CONNECTED, now, None, 0
    else:
        return
    health.state_changed_at = now
    health.save()
    publish(f"mailbox-{health.mailbox_id}")
