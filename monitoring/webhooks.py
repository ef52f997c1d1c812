"""Per-person webhooks: a signed JSON POST for every change of state, sent by the worker.

There is no organisation model: a team that routes alerts elsewhere sets the webhook on
the account that owns its mailboxes. The body is signed with HMAC-SHA256 over the raw
bytes (header `X-EAC-Signature: sha256=<hex>`), with a timestamp header so that a
receiver can refuse replays. The URL goes through the mail hosts' private-network guard
on every attempt (a name may start resolving somewhere private later); redirects are
not followed. Failed attempts are retried with backoff, then given up.
"""

import hashlib
import hmac
import http.client
import json
import logging
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from core import dispatch
from diagnostics.config import probe_config
from diagnostics.net import guard
from diagnostics.net.errors import ProbeError
from diagnostics.net.transport import tls_context

from . import state
from .models import AlertPreference, WebhookDelivery

log = logging.getLogger(__name__)

DELIVER = "monitoring.tasks.deliver_webhook"
BACKOFF_SECONDS = (10, 60, 300, 1800)  # then given up
WEB_PORTS = (80, 443, 8080, 8443)
TIMEOUT = 10.0
# Longer than one attempt can take (the connection, the request and the answer, each
# within TIMEOUT).
CLAIM = timedelta(seconds=TIMEOUT * 3 + 30)


class WebhookRefused(Exception):
    """The URL may not be called (private address, port, scheme); never retried."""


@sensitive_variables()
def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def queue_for_alert(alert) -> WebhookDelivery | None:
    """In the check's transaction: a delivery row, queued to the worker after commit."""
    pref = AlertPreference.objects.filter(user_id=alert.user_id).exclude(webhook_url="").first()
    if pref is None:
        return None
    check, mailbox = alert.health_check, alert.mailbox
    payload = {
        "event": "mailbox." + ("disconnected" if alert.kind == "down" else "connected"),
        "mailbox": {"id": mailbox.pk, "email": mailbox.email, "provider": mailbox.provider_id},
        "state": check.state if check else "",
        "error": {"code": check.error_code, "reason": check.error_reason} if check and not check.ok else None,
        "at": timezone.now().isoformat(),
        # Additive: the mailbox's state in the words every page uses (monitoring/state.py).
        "mailbox_state": state.of(mailbox).as_dict(),
    }
    delivery = WebhookDelivery.objects.create(
        user_id=alert.user_id, url=pref.webhook_url, body=json.dumps(payload)
    )
    # The first attempt from the process that ran the check; retries go through the queue.
    transaction.on_commit(lambda: _deliver_safely(delivery.pk))
    return delivery


def _deliver_safely(delivery_id: int) -> None:
    try:
        deliver(delivery_id)
    except Exception:  # never let a webhook break the check that caused it
        log.warning("webhook delivery %s failed unexpectedly", delivery_id, exc_info=True)
        enqueue(delivery_id, countdown=BACKOFF_SECONDS[0])


def enqueue(delivery_id: int, countdown: float = 0) -> None:
    """Through the outbox: the retry is held in the database until its time, not in a
    broker's memory, so a restart or an outage loses none."""
    dispatch.send(DELIVER, delivery_id, countdown=countdown)


class _Guarded(http.client.HTTPSConnection):
    """Connects only to the address the guard checked; TLS verifies the URL's host name."""

    def __init__(self, host, port, use_tls: bool, config):
        super().__init__(host, port, timeout=TIMEOUT, context=tls_context(config) if use_tls else None)
        self.use_tls = use_tls
        self.config = config

    def connect(self):
        name = guard.normalize_host(self.host)
        addresses = guard.resolve(name, self.config, TIMEOUT)
        guard.check(name, addresses, self.config)
        exempt = guard.Exemptions(self.config.allowed_private)
        if self.port not in WEB_PORTS and not all(exempt.allows(name, ip) for ip in addresses):
            raise WebhookRefused(f"port {self.port} is not a web port")
        sock, _ip = guard.open_connection(name, addresses, self.port, TIMEOUT)
        self.sock = self._context.wrap_socket(sock, server_hostname=name) if self.use_tls else sock


@sensitive_variables()
def post(url: str, body: bytes, secret: str) -> int:
    """POST the signed body; the HTTP status. Raises WebhookRefused or OSError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "EmailAccountCenter-webhook/1",
        "X-EAC-Timestamp": timestamp,
        "X-EAC-Signature": sign(secret, timestamp, body),
    }
    conn = _Guarded(parts.hostname, port, parts.scheme == "https", probe_config())
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        return conn.getresponse().status
    except ProbeError as exc:
        if exc.code == "blocked_host":
            raise WebhookRefused(exc.detail) from None
        raise OSError(exc.detail) from None
    finally:
        conn.close()


@sensitive_variables()
def deliver(delivery_id: int) -> str:
    """One attempt: "delivered", "retry", "refused" or "given_up"."""
    now = timezone.now()
    open_ = WebhookDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True, given_up=False)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if not open_.filter(free).update(claimed_until=now + CLAIM):
        return "done"  # delivered, given up, or being posted by another task right now
    try:
        return _attempt(WebhookDelivery.objects.get(pk=delivery_id))
    except BaseException:
        # Broken off unexpectedly: free it at once, so that the retry queued for it posts.
        WebhookDelivery.objects.filter(pk=delivery_id).update(claimed_until=None)
        raise


@sensitive_variables()
def _attempt(delivery: WebhookDelivery) -> str:
    delivery.claimed_until = None  # each save below ends this attempt's hold
    pref = AlertPreference.objects.filter(user_id=delivery.user_id).first()
    secret = pref.webhook_secret() if pref else ""
    delivery.attempts += 1
    try:
        status = post(delivery.url, delivery.body.encode(), secret)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except WebhookRefused as exc:
        delivery.given_up, delivery.last_error = True, f"refused: {exc}"[:300]
        delivery.save()
        return "refused"
    except (OSError, ssl.SSLError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    if not error:
        delivery.delivered_at, delivery.last_error = timezone.now(), ""
        delivery.save()
        return "delivered"
    delivery.last_error = error
    if delivery.attempts > len(BACKOFF_SECONDS):
        delivery.given_up = True
        delivery.save()
        return "given_up"
    delivery.save()
    enqueue(delivery.pk, countdown=BACKOFF_SECONDS[delivery.attempts - 1])
    return "retry"


def validate_url(url: str) -> str:
    """For the settings form, without any network lookup (the form must answer at once,
    and a name may resolve elsewhere by the time the worker calls it): refuse other
    schemes and literal private addresses. The worker checks the resolved addresses
    again on every attempt."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter an http or https URL."
    try:
        name = guard.normalize_host(parts.hostname)
    except ProbeError as exc:
        return exc.detail
    ip = guard.parse_ip(name)
    exempt = guard.Exemptions(probe_config().allowed_private)
    if (name == "localhost" or (ip is not None and guard.is_blocked(ip))) and not (
        ip is not None and exempt.allows(name, ip)
    ):
        return "That address is private or internal; we only call public web addresses."
    return ""
