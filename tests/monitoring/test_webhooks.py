"""Webhooks: signed with HMAC-SHA256, retried with backoff, refused for private addresses."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitoring import checks, webhooks
from monitoring.models import AlertPreference, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "team-hook-secret"


class Receiver:
    """A local HTTP endpoint answering the given statuses in turn."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.server.shutdown()


def _hook(user, url):
    pref = AlertPreference(user=user, webhook_url=url)
    pref.set_webhook_secret(SECRET)
    pref.save()


def test_it_posts_a_signed_body_and_retries_after_a_failure(connected_mailbox, servers, user, receiver):
    endpoint = receiver([500])
    _hook(user, endpoint.url)
    mailbox = connected_mailbox()
    servers.change_password(mailbox.email, "changed-elsewhere")
    checks.run_check(mailbox.pk)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_error == "HTTP 500" and not delivery.delivered_at
    assert webhooks.deliver(delivery.pk) == "delivered"  # the retry (queued with a countdown)
    assert len(endpoint.requests) == 2
    headers, body = endpoint.requests[-1]
    expected = hmac.new(SECRET.encode(), headers["X-EAC-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["X-EAC-Signature"] == "sha256=" + expected.hexdigest()
    payload = json.loads(body)
    assert payload["event"] == "mailbox.disconnected" and payload["mailbox"]["email"] == mailbox.email
    assert payload["error"]["reason"] == "wrong_credentials"
    assert SECRET not in body.decode() and "changed-elsewhere" not in body.decode()


def test_it_gives_up_after_the_backoff(user, receiver):
    endpoint = receiver([503] * 10)
    _hook(user, endpoint.url)
    delivery = WebhookDelivery.objects.create(user=user, url=endpoint.url, body="{}")
    results = [webhooks.deliver(delivery.pk) for _ in range(len(webhooks.BACKOFF_SECONDS) + 1)]
    assert results == ["retry"] * len(webhooks.BACKOFF_SECONDS) + ["given_up"]


def test_private_addresses_are_refused(user, settings, receiver):
    endpoint = receiver()
    settings.MAIL_ALLOWED_PRIVATE_HOSTS = []  # 127.0.0.1 is no longer exempt
    for url in (endpoint.url, "http://10.1.2.3/hook", "http://[::ffff:127.0.0.1]:8080/x"):
        delivery = WebhookDelivery.objects.create(user=user, url=url, body="{}")
        assert webhooks.deliver(delivery.pk) == "refused", url
        assert "private" in WebhookDelivery.objects.get(pk=delivery.pk).last_error
        assert webhooks.validate_url(url)
    assert not endpoint.requests
    assert webhooks.validate_url("https://hooks.example.com/x") == ""
    assert webhooks.validate_url("ftp://hooks.example.com/x")


def test_two_tasks_for_one_delivery_at_the_same_instant_post_it_once(user, receiver):
    """The outbox delivers a task at least once: a duplicate that starts while the first is
    posting finds the delivery taken and posts nothing."""
    from django.db import connection

    endpoint = receiver()
    answered = threading.Event()
    endpoint.server.RequestHandlerClass.do_POST = _held(endpoint.server.RequestHandlerClass.do_POST, answered)
    _hook(user, endpoint.url)
    delivery = WebhookDelivery.objects.create(user=user, url=endpoint.url, body="{}")
    start = threading.Barrier(2)
    results = []

    def task():
        start.wait()
        try:
            results.append(webhooks.deliver(delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=task) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert answered.wait(10)
    for thread in threads:
        thread.join(20)
    assert sorted(results) == ["delivered", "done"] and len(endpoint.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.claimed_until is None


def test_an_attempt_broken_off_unexpectedly_leaves_the_delivery_free_for_its_retry(
    user, receiver, monkeypatch
):
    endpoint = receiver()
    _hook(user, endpoint.url)
    delivery = WebhookDelivery.objects.create(user=user, url=endpoint.url, body="{}")
    monkeypatch.setattr(webhooks, "post", lambda *args: 1 / 0)  # a bug, not a network fault
    with pytest.raises(ZeroDivisionError):
        webhooks.deliver(delivery.pk)
    monkeypatch.undo()
    assert webhooks.deliver(delivery.pk) == "delivered" and len(endpoint.requests) == 1


def _held(do_post, answered):
    """The receiver answers after a second: long enough for a second task to arrive."""

    def held(self):
        time.sleep(1)
        do_post(self)
        answered.set()

    return held
