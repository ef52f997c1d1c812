"""The verification around a connection test, Django side: what the worker starts and
stores (capabilities, the round trip, the sender domain's DNS, the tracking CNAME), what
the sending side reads (sent filing), and what the mailbox page's capability panel shows.
The network work itself is diagnostics.net.verification.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DELIVERY_PROBLEMS, ConnectionTest, Delivery, MailboxVerification, round_trip_budget
from .net import capabilities, directory, reasons, tracking
from .net.roundtrip import AUTOMATIC, NEEDS_APPEND, RoundTrip
from .net.verification import Verification

DOMAIN_ITEMS = (("spf", "SPF"), ("dmarc", "DMARC"), ("dkim", "DKIM"), ("mx", "MX"))


def tracking_domain_of(mailbox) -> str:
    found = MailboxVerification.objects.filter(mailbox=mailbox).values_list("tracking_domain", flat=True)
    return found.first() or ""


def begin(mailbox, config) -> Verification:
    """Start the DNS checks (they run while the login test does)."""
    provider = directory.by_id(mailbox.provider_id) or directory.lookup(mailbox.email)
    return Verification(
        mailbox.email,
        provider,
        config,
        smtp_host=mailbox.smtp_host,
        tracking_host=tracking_domain_of(mailbox),
        tracking_target=settings.TRACKING_CNAME_TARGET,
    )


def _dns_fields(test: ConnectionTest, diagnosis) -> list[str]:
    test.domain_checks = diagnosis.domain
    test.tracking_check = diagnosis.tracking
    return ["domain_checks", "tracking_check"]


def checks_deadline(round_trip: bool):
    """When the checks after the verdict must have ended: the round trip's own budget
    (its wait, its sessions, the Sent check and clean-up), or the DNS answers alone."""
    seconds = round_trip_budget() + 15 if round_trip else settings.MAIL_PROBE_TIMEOUT * 2 + 15
    return timezone.now() + timedelta(seconds=seconds)


def store_verdict(test: ConnectionTest, diagnosis, checks: Verification, round_trip: bool) -> list[str]:
    """What the verdict's write carries besides the status: the capabilities, the DNS
    answers when they are already in, and the delivery check's start ("checking") when
    the round trip follows. Returns the fields to save; the caller saves them."""
    test.capabilities = diagnosis.capabilities or {}
    fields = ["capabilities", "delivery_status", "checks_until"]
    if round_trip:
        test.delivery_status = Delivery.CHECKING
        test.round_trip = {"status": Delivery.CHECKING, "wait_seconds": settings.MAIL_ROUND_TRIP_DEADLINE}
        fields.append("round_trip")
    elif test.round_trip_requested:
        test.delivery_status = Delivery.SKIPPED  # the logins failed: nothing was sent
        test.round_trip = RoundTrip().as_dict()
        fields.append("round_trip")
    if checks.dns_done and not round_trip:
        checks.finish_dns(diagnosis)
        fields += _dns_fields(test, diagnosis)
        test.checks_until = None
    else:
        test.checks_until = checks_deadline(round_trip)
    return fields


def after_verdict(
    test: ConnectionTest, checks: Verification, diagnosis, smtp, imap, secret, on_step
) -> tuple[list[str], list]:
    """The round trip (when the verdict's write started one) and the DNS answers, after the
    verdict. Puts them on the test (the caller saves the fields) and returns (fields, the
    round trip's errors). The test's status is never changed here: a delivery problem is a
    warning beside Connected."""
    fields = ["checks_until", *_dns_fields(test, diagnosis)]
    result = None
    before = len(diagnosis.errors)
    if test.delivery_status == Delivery.CHECKING:
        wait = test.round_trip["wait_seconds"]
        result = checks.round_trip(diagnosis, smtp, imap, secret, wait, on_step)
        checks.add_round_trip(diagnosis, result)
        test.round_trip = {**diagnosis.round_trip, "wait_seconds": wait}
        test.delivery_status = result.status
        test.delivery_finished_at = timezone.now()
        test.transcript = diagnosis.transcript_text()
        fields += ["round_trip", "delivery_status", "delivery_finished_at", "transcript"]
        _learn(test, result.status, result.sent_filing)
    checks.finish_dns(diagnosis, result)
    _dns_fields(test, diagnosis)
    test.checks_until = None
    return fields, diagnosis.errors[before:]


def delivery_failed(test: ConnectionTest) -> list[str]:
    """The checks after the verdict broke off (an unexpected error): say so, never spin."""
    test.checks_until = None
    fields = ["checks_until"]
    if test.delivery_status == Delivery.CHECKING:
        test.delivery_status = Delivery.FAILED
        test.delivery_finished_at = timezone.now()
        fields += ["delivery_status", "delivery_finished_at"]
        _learn(test, Delivery.FAILED, None)
    return fields


def _learn(test: ConnectionTest, status: str, filing: str | None) -> None:
    """Remember, per mailbox, the newest delivery outcome (the mailbox's state reads it)
    and what the round trip learnt about Sent filing (the sending side reads it)."""
    learnt = {
        "delivery_status": status,
        "delivery_checked_at": test.delivery_finished_at or timezone.now(),
        "delivery_test_id": test.pk,
    }
    if filing in (AUTOMATIC, NEEDS_APPEND):
        learnt.update(sent_filing=filing, sent_filing_checked_at=timezone.now())
    MailboxVerification.objects.update_or_create(mailbox_id=test.mailbox_id, defaults=learnt)


def set_tracking_domain(mailbox, typed: str) -> str:
    """Validate and remember the tracking host ("" removes it); raises ProbeError
    (invalid_input) for something that is not a host name."""
    host = tracking.normalize(typed) if typed.strip() else ""
    with transaction.atomic():
        MailboxVerification.objects.update_or_create(mailbox=mailbox, defaults={"tracking_domain": host})
    return host


def _latest(mailbox, field: str, test: ConnectionTest | None):
    """This test's value when it has one, else the newest earlier test's (which the page
    then names: text from an older test is never shown as this one's)."""
    if test is not None and getattr(test, field):
        return test, getattr(test, field)
    earlier = mailbox.tests.filter(**{f"{field}__isnull": False}).exclude(**{field: {}}).first()
    return (earlier, getattr(earlier, field)) if earlier is not None else (None, None)


OUTCOMES = (Delivery.DELIVERED, Delivery.DELIVERED_TO_SPAM, Delivery.NOT_DELIVERED, Delivery.FAILED)
# Errors of a failed test that belong to its round trip (tests from before the round trip
# ran after the verdict failed on them).
_TRIP_REASONS = ("sender_rejected", "message_rejected")


def delivery(mailbox, test: ConnectionTest | None, steps: list) -> dict | None:
    """The delivery panel: this test's delivery check (running or done), else the newest
    earlier test's outcome, named; None when no test ever got one (a login that failed
    sent nothing, so it has nothing to say)."""
    if test is not None and (test.round_trip or {}).get("status") in (Delivery.CHECKING, *OUTCOMES):
        trip_test = test
    else:
        trip_test = mailbox.tests.filter(round_trip__status__in=OUTCOMES).first()
    if trip_test is None:
        return None
    state = trip_test.effective_delivery or trip_test.round_trip["status"]
    trip = trip_test.round_trip or {}
    current = trip_test == test
    errors = [
        e
        for e in trip_test.errors.all()
        if trip_test.status == ConnectionTest.Status.CONNECTED
        or e.protocol == "delivery"
        or e.reason in _TRIP_REASONS
    ]
    started = trip_test.finished_at or trip_test.created_at
    now = timezone.now()
    latency = trip.get("latency_ms")
    return {
        "state": state,
        "test": trip_test,
        "current": current,
        "trip": trip,
        "problem": state in DELIVERY_PROBLEMS,
        "wait_seconds": trip_test.delivery_wait_seconds,
        "seconds": f"{latency / 1000:.1f}" if latency is not None else "",
        "started_ms": int(started.timestamp() * 1000),
        "now_ms": int(now.timestamp() * 1000),
        "elapsed": max(0, int((now - started).total_seconds())),
        "overdue": trip_test.delivery_status == Delivery.CHECKING and state == Delivery.FAILED,
        "errors": errors,
        "spam_help": reasons.specific_help("delivered_to_spam"),
        "steps": [s for s in steps if s.protocol == "delivery"] if current else [],
    }


SUGGESTIONS = ("warning", "missing", "invalid")


def panel(mailbox, test: ConnectionTest | None, steps: list) -> dict:
    """The result page's context beside the verdict: the delivery panel, what the
    mailbox can do, the sender domain's suggestions and tracking (see
    templates/accounts/_capabilities.html)."""
    caps_test, caps = _latest(mailbox, "capabilities", test)
    dns_test, domain = _latest(mailbox, "domain_checks", test)
    verification = MailboxVerification.objects.filter(mailbox=mailbox).first()
    host = verification.tracking_domain if verification else ""
    track = test.tracking_check if test is not None and test.tracking_check else None
    if track is None and host:
        _, track = _latest(mailbox, "tracking_check", test)
    items = [(key, label, domain[key]) for key, label in DOMAIN_ITEMS if key in (domain or {})]
    settled = test is None or test.settled
    return {
        "delivery": delivery(mailbox, test, steps),
        "caps": capabilities.summary(caps) if caps else None,
        "caps_test": caps_test if caps_test != test else None,
        "domain": items,
        "domain_test": dns_test if dns_test != test else None,
        "domain_pending": test is not None and test.checking and not test.domain_checks,
        "suggestions": sum(1 for _, _, item in items if item.get("status") in SUGGESTIONS),
        "sender_domain": mailbox.email.rpartition("@")[2],
        "sent_filing": verification.sent_filing if verification else MailboxVerification.SentFiling.UNKNOWN,
        "tracking_host": host,
        "tracking": track if track and track.get("host") == host else None,
        "tracking_target": settings.TRACKING_CNAME_TARGET,
        # Forms only once nothing re-renders the panel, so a push never replaces typing.
        "panel_forms": settled,
    }
