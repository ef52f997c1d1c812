"""Turning tested rows into mailboxes: one transaction per batch, never a duplicate."""

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Mailbox
from monitoring import schedule

from . import rows as R

BATCH = 200


def mailbox_for(user, row: R.Candidate, password_encrypted: str, connected: bool) -> Mailbox:
    """Connected rows become connected mailboxes; drafts are new ones to fix and test."""
    mailbox = Mailbox(
        user=user,
        email=row.email,
        username=row.username,
        smtp_username=row.smtp_username,
        imap_username=row.imap_username,
        smtp_host=row.smtp_host,
        smtp_port=row.smtp_port,
        smtp_security=row.smtp_security,
        imap_host=row.imap_host,
        imap_port=row.imap_port,
        imap_security=row.imap_security,
        provider_id=row.provider_id,
        status=Mailbox.Status.CONNECTED if connected else Mailbox.Status.NEW,
        sent_folder=row.sent_folder if connected else "",
        last_tested_at=timezone.now() if connected else None,
    )
    mailbox.password_encrypted = password_encrypted
    return mailbox


def save_batch(user, items: list[tuple[R.Candidate, str, bool]]) -> list[Mailbox | None]:
    """Create a mailbox per (row, encrypted password, connected), skipping any address
    the user already has: a re-submitted import creates nothing twice."""
    with transaction.atomic():
        emails = [row.email.lower() for row, _, _ in items]
        taken = set(
            Mailbox.objects.filter(user=user)
            .annotate(low=Lower("email"))
            .filter(low__in=emails)
            .values_list("low", flat=True)
        )
        made: list[Mailbox | None] = []
        for row, secret, connected in items:
            key = row.email.lower()
            if key in taken:
                made.append(None)
                continue
            taken.add(key)
            mailbox = mailbox_for(user, row, secret, connected)
            mailbox.save()
            made.append(mailbox)
        # Connected rows are monitored at once, like any connected mailbox: the fleet view
        # and their health panel show them now, not after the scheduler's next pass.
        schedule.enroll_now([m.pk for m in made if m is not None and m.status == Mailbox.Status.CONNECTED])
    return made
