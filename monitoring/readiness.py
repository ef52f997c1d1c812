"""Microsoft's retirement of Basic SMTP AUTH, across the fleet.

Exchange Online switches Basic authentication for SMTP client submission off by default
at MICROSOFT_BASIC_AUTH_CUTOFF (clients then get `550 5.7.30`). Mailboxes at Microsoft
(found by the directory or by MX when they were connected, or by their servers) that
still sign in with a password will stop sending: admins see them in the fleet view and
in `check_health --json`, and each owner is told once, before the cut-off, what will
happen and how to reconnect with Sign in with Microsoft. After it, a check that meets
5.7.30 disconnects the mailbox with that reason (permanent), like any refused password.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Mailbox
from diagnostics.net import directory

from .models import BasicAuthNotice

log = logging.getLogger(__name__)

MICROSOFT = "microsoft"


def _hosts() -> list[str]:
    provider = directory.by_id(MICROSOFT)
    return [*provider.known_hosts, provider.oauth_smtp.host, provider.oauth_imap.host]


def at_risk(prefix: str = "") -> Q:
    """Mailboxes at Microsoft still connected with a password (prefix: "mailbox__" from Health)."""
    hosts = _hosts()
    return Q(**{f"{prefix}auth_method": Mailbox.AuthMethod.PASSWORD}) & (
        Q(**{f"{prefix}provider_id": MICROSOFT})
        | Q(**{f"{prefix}smtp_host__in": hosts})
        | Q(**{f"{prefix}imap_host__in": hosts})
    )


def is_at_risk(mailbox) -> bool:
    if mailbox.auth_method != Mailbox.AuthMethod.PASSWORD:
        return False
    hosts = set(_hosts())
    return mailbox.provider_id == MICROSOFT or mailbox.smtp_host in hosts or mailbox.imap_host in hosts


def cutoff():
    return settings.MICROSOFT_BASIC_AUTH_CUTOFF


def cutoff_text() -> str:
    """ "31 December 2026", in the active language: the notice and the fleet page say it alike."""
    return date_format(cutoff(), "j F Y")


def before_cutoff(today=None) -> bool:
    return (today or timezone.localdate()) < cutoff()


def notify_owners(today=None) -> int:
    """Before the cut-off, once per mailbox: tell its owner. The number of emails sent."""
    if not before_cutoff(today):
        return 0
    pending = (
        Mailbox.objects.filter(at_risk())
        .filter(basic_auth_notice__isnull=True)
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    for mailbox in pending.iterator(chunk_size=500):
        address = mailbox.user.email or (mailbox.user.username if "@" in mailbox.user.username else "")
        try:
            with transaction.atomic():
                # The row first: a second process (two beats, a rerun) cannot send it again.
                BasicAuthNotice.objects.create(mailbox=mailbox, sent_at=timezone.now())
                if address:
                    _email(mailbox, address)
        except IntegrityError:
            continue  # another process took it
        except Exception:  # the relay is down: no row was kept, the next run tries again
            log.warning("could not send the Basic auth notice for mailbox %s", mailbox.pk, exc_info=True)
            continue
        sent += bool(address)
    return sent


def _email(mailbox, address: str) -> None:
    site = settings.SITE_URL.rstrip("/")
    context = {
        "mailbox": mailbox,
        "user": mailbox.user,
        "cutoff": cutoff_text(),
        "reconnect": f"{site}{reverse('sso_start', args=[MICROSOFT])}?mailbox={mailbox.pk}",
        "page": site + reverse("mailbox_detail", args=[mailbox.pk]),
    }
    subject = render_to_string("monitoring/email/basic_auth_notice_subject.txt", context).strip()
    send_mail(subject, render_to_string("monitoring/email/basic_auth_notice.txt", context), None, [address])
