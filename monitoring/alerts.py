"""Telling the owner: one email per change of state, a daily digest, a per-person cap.

A change of state becomes an Alert row in the check's transaction; the worker sends it
after commit (send_alert), so a rolled-back check never emails and a broker outage
leaves the row for the digest. Webhooks are queued the same way (webhooks.py).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core import dispatch
from diagnostics.net import errors

from . import webhooks
from .models import Alert, AlertPreference, Health, State

log = logging.getLogger(__name__)

SEND_ALERT = "monitoring.tasks.send_alert"
# A person with this many mailboxes disconnected at once gets them in the digest, not one by one.
SEVERAL = 3


def preference(user) -> AlertPreference:
    pref, _ = AlertPreference.objects.get_or_create(user=user)
    return pref


def state_changed(health: Health, before: str, after: str, check) -> Alert | None:
    """Inside the check's transaction: record what the owner must hear about, if anything."""
    if after == State.DISCONNECTED and before in (State.CONNECTED, State.DEGRADED):
        kind = Alert.Kind.DOWN
    elif after == State.CONNECTED and before == State.DISCONNECTED:
        kind = Alert.Kind.UP
    else:
        return None  # degraded and back, paused: no email
    alert = Alert.objects.create(
        user_id=health.mailbox.user_id, mailbox=health.mailbox, health_check=check, kind=kind
    )
    webhooks.queue_for_alert(alert)
    # Sent by the process that ran the check (a worker, or check_health), once committed.
    transaction.on_commit(lambda: _send_safely(alert.pk))
    return alert


def _send_safely(alert_id: int) -> None:
    try:
        send_alert(alert_id)
    except Exception:  # the mail relay is down: the daily digest still picks it up
        log.warning("could not send alert %s", alert_id, exc_info=True)
        Alert.objects.filter(pk=alert_id, emailed_at__isnull=True, skipped="").update(skipped="digest")


def queue_send(alert_id: int) -> None:
    """From the web process (the fleet's "notify owners"): the worker sends it."""
    try:
        dispatch.send(SEND_ALERT, alert_id)
    except Exception:  # the broker is down: the digest picks it up
        log.warning("could not queue alert %s", alert_id, exc_info=True)
        Alert.objects.filter(pk=alert_id).update(skipped="digest")


def _emailed_today(user_id: int) -> int:
    since = timezone.now() - timedelta(days=1)
    return Alert.objects.filter(user_id=user_id, emailed_at__gte=since).count()


def send_alert(alert_id: int) -> str:
    """Email one alert now, or say why not: "sent", "digest", "cap", "none", "done"."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("user", "mailbox", "health_check")
            .filter(pk=alert_id, emailed_at__isnull=True, skipped="")
            .first()
        )
        if alert is None:
            return "done"
        why = _why_not(alert)
        if why:
            alert.skipped = why
            alert.save(update_fields=["skipped"])
            return why
        _email(alert)
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at"])
    return "sent"


def _why_not(alert: Alert) -> str:
    mode = preference(alert.user).mode
    if mode == AlertPreference.Mode.NONE or not alert.user.email:
        return "none"
    if mode == AlertPreference.Mode.DIGEST:
        return "digest"
    if alert.kind == Alert.Kind.DOWN:
        failing = Health.objects.filter(mailbox__user=alert.user, state=State.DISCONNECTED).count()
        if failing >= SEVERAL:
            return "digest"  # a storm: one digest says it all
    if _emailed_today(alert.user_id) >= settings.MAIL_HEALTH_ALERTS_PER_DAY:
        return "cap"
    return ""


def mailbox_links(mailbox) -> dict:
    page = settings.SITE_URL.rstrip("/") + reverse("mailbox_detail", args=[mailbox.pk])
    if mailbox.auth_method == "oauth":
        fix = page + "#reconnect"
        fix_label = "Reconnect"
    else:
        fix = settings.SITE_URL.rstrip("/") + reverse("mailbox_edit", args=[mailbox.pk])
        fix_label = "Edit the settings or the password"
    return {"page": page, "fix": fix, "fix_label": fix_label}


def explain(check) -> dict:
    """What failed in plain words, the server's reply and what to do, from the catalogue."""
    code, reason = (check.error_code, check.error_reason) if check else ("", "")
    test_error = check.test.errors.first() if check and check.test_id else None
    return {
        "title": errors.kind(code).title if code else "",
        "detail": test_error.detail if test_error else (errors.kind(code).summary if code else ""),
        "server_reply": check.server_reply if check else "",
        "help": errors.help_for(code, reason, frozenset()) if code else [],
        "reason": reason,
    }


def _email(alert: Alert) -> None:
    mailbox = alert.mailbox
    context = {
        "alert": alert,
        "user": alert.user,
        "mailbox": mailbox,
        "links": mailbox_links(mailbox),
        "why": explain(alert.health_check),
    }
    name = "down" if alert.kind == Alert.Kind.DOWN else "up"
    subject = render_to_string(f"monitoring/email/{name}_subject.txt", context).strip()
    body = render_to_string(f"monitoring/email/{name}.txt", context)
    send_mail(subject, body, None, [alert.user.email])


def send_digests(now=None) -> int:
    """Once a day: one email per person listing every mailbox still failing, for people who
    chose the digest, and for alerts held back (several failing at once, the cap)."""
    now = now or timezone.now()
    since = now - timedelta(hours=23)
    held = Alert.objects.filter(emailed_at__isnull=True, skipped__in=["digest", "cap"])
    users = set(held.values_list("user_id", flat=True))
    users |= set(
        AlertPreference.objects.filter(mode=AlertPreference.Mode.DIGEST)
        .filter(user__mailboxes__health__state=State.DISCONNECTED)
        .values_list("user_id", flat=True)
    )
    sent = 0
    for user_id in sorted(users):
        with transaction.atomic():
            preference(get_user_model()(pk=user_id))
            pref = AlertPreference.objects.select_for_update().select_related("user").get(user_id=user_id)
            if pref.mode == AlertPreference.Mode.NONE or not pref.user.email:
                held.filter(user_id=user_id).update(skipped="none")
                continue
            if pref.last_digest_at and pref.last_digest_at > since:
                continue
            failing = list(
                Health.objects.filter(mailbox__user_id=user_id, state=State.DISCONNECTED)
                .select_related("mailbox")
                .order_by("mailbox__email")
            )
            recovered = list(held.filter(user_id=user_id, kind=Alert.Kind.UP).select_related("mailbox"))
            if not failing and not recovered:
                held.filter(user_id=user_id).update(skipped="resolved")
                continue
            context = {
                "user": pref.user,
                "failing": [(h, mailbox_links(h.mailbox)) for h in failing],
                "recovered": [a.mailbox for a in recovered if a.mailbox],
            }
            subject = render_to_string("monitoring/email/digest_subject.txt", context).strip()
            send_mail(
                subject, render_to_string("monitoring/email/digest.txt", context), None, [pref.user.email]
            )
            held.filter(user_id=user_id).update(emailed_at=now)
            Alert.objects.create(user_id=user_id, kind=Alert.Kind.DIGEST, emailed_at=now)
            pref.last_digest_at = now
            pref.save(update_fields=["last_digest_at"])
            sent += 1
    return sent
