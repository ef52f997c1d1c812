"""The verification around a connection test, Django side: what the worker starts and
stores (capabilities, the round trip, the sender domain's DNS, the tracking CNAME), what
the sending side reads (sent filing), and what the mailbox page's capability panel shows.
The network work itself is diagnostics.net.verification.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ConnectionTest, MailboxVerification
from .net import capabilities, directory, reasons, tracking
from .net.roundtrip import AUTOMATIC, NEEDS_APPEND
from .net.verification import Verification

STORED = ["capabilities", "round_trip", "domain_checks", "tracking_check"]
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


def finish(checks: Verification, test: ConnectionTest, diagnosis, smtp, imap, secret, on_step) -> None:
    """The round trip (when this test asked for it) and the DNS answers, into the diagnosis."""
    checks.finish(
        diagnosis,
        smtp,
        imap,
        secret,
        round_trip=test.round_trip_requested,
        wait_seconds=settings.MAIL_ROUND_TRIP_DEADLINE,
        on_step=on_step,
    )


def store(test: ConnectionTest, diagnosis) -> list[str]:
    """Put the results on the test (the caller saves these fields) and remember what the
    round trip learnt about Sent filing for the sending side."""
    test.capabilities = diagnosis.capabilities or {}
    test.round_trip = diagnosis.round_trip
    test.domain_checks = diagnosis.domain
    test.tracking_check = diagnosis.tracking
    filing = (diagnosis.round_trip or {}).get("sent_filing")
    if filing in (AUTOMATIC, NEEDS_APPEND):
        learnt = {"sent_filing": filing, "sent_filing_checked_at": timezone.now()}
        MailboxVerification.objects.update_or_create(mailbox_id=test.mailbox_id, defaults=learnt)
    return list(STORED)


def set_tracking_domain(mailbox, typed: str) -> str:
    """Validate and remember the tracking host ("" removes it); raises ProbeError
    (invalid_input) for something that is not a host name."""
    host = tracking.normalize(typed) if typed.strip() else ""
    with transaction.atomic():
        MailboxVerification.objects.update_or_create(mailbox=mailbox, defaults={"tracking_domain": host})
    return host


def _latest(mailbox, field: str, test: ConnectionTest | None):
    """This test's value when it has one, else the newest earlier test's."""
    if test is not None and getattr(test, field):
        return test, getattr(test, field)
    earlier = mailbox.tests.filter(**{f"{field}__isnull": False}).exclude(**{field: {}}).first()
    return (earlier, getattr(earlier, field)) if earlier is not None else (None, None)


def panel(mailbox, test: ConnectionTest | None, steps: list) -> dict:
    """The capability panel's context (see templates/accounts/_capabilities.html)."""
    caps_test, caps = _latest(mailbox, "capabilities", test)
    trip_test, trip = _latest(mailbox, "round_trip", test)
    dns_test, domain = _latest(mailbox, "domain_checks", test)
    verification = MailboxVerification.objects.filter(mailbox=mailbox).first()
    host = verification.tracking_domain if verification else ""
    track = test.tracking_check if test is not None and test.tracking_check else None
    if track is None and host:
        _, track = _latest(mailbox, "tracking_check", test)
    running = test is not None and not test.is_final
    return {
        "caps": capabilities.summary(caps) if caps else None,
        "caps_test": caps_test,
        "trip": trip,
        "trip_test": trip_test,
        "trip_running": running and test.round_trip_requested,
        "spam_help": reasons.specific_help("delivered_to_spam"),
        "domain": [(key, label, domain[key]) for key, label in DOMAIN_ITEMS if key in (domain or {})],
        "domain_test": dns_test,
        "sender_domain": mailbox.email.rpartition("@")[2],
        "delivery_steps": [s for s in steps if s.protocol == "delivery"],
        "sent_filing": verification.sent_filing if verification else MailboxVerification.SentFiling.UNKNOWN,
        "tracking_host": host,
        "tracking": track if track and track.get("host") == host else None,
        "tracking_target": settings.TRACKING_CNAME_TARGET,
        "panel_forms": not running,
    }
