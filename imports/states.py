"""Each import row in the state model's words (monitoring/state.py): a row that is (or
already was) a mailbox says that mailbox's state; a row's own test says its outcome the
way a mailbox in that state would. Three queries for any number of rows."""

from django.db.models.functions import Lower

from accounts.models import Mailbox
from monitoring import state as mailbox_states

from . import rows as R


def _existing(row) -> bool:
    return row.state == R.DUPLICATE and row.reason == "existing" and bool(row.email)


def attach(job, rows: list) -> list:
    """Set `row.mailbox_state` (a MailboxState, or None for rows never tested) on each row."""
    emails = {r.email.lower() for r in rows if _existing(r)}
    ids = {r.mailbox_id for r in rows if r.mailbox_id}
    mailboxes = []
    if emails or ids:
        mine = Mailbox.objects.filter(user_id=job.user_id).annotate(low=Lower("email"))
        mailboxes = list(mine.filter(low__in=emails) | mine.filter(pk__in=ids))
    by_pk = {m.pk: m for m in mailboxes}
    by_email = {m.low: m for m in mailboxes}
    states = mailbox_states.for_mailboxes(mailboxes)
    for row in rows:
        mailbox = by_pk.get(row.mailbox_id) or (by_email.get(row.email.lower()) if _existing(row) else None)
        if mailbox is not None:
            row.mailbox_state, row.mailbox_pk = states[mailbox.pk], mailbox.pk
        elif row.shown_state in (R.CONNECTED, R.FAILED):
            code = "timeout" if row.overdue else row.code
            row.mailbox_state = mailbox_states.of_outcome(row.shown_state == R.CONNECTED, code, row.reason)
        else:
            row.mailbox_state = None
    return rows
