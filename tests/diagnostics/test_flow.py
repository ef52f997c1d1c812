"""The whole flow through a real Celery worker process:
form post -> task on the broker -> steps written live -> final partial."""

import time
from http import HTTPStatus

import pytest
from celery.signals import before_task_publish
from django.urls import reverse

from accounts.models import Mailbox
from tests.leaks import leak_forms
from tests.live.pages import closes_stream, refresh_url
from tests.servers.raw import silent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PASSWORD = 'Wörker-Secret "quoted" 42'


def assert_no_leak(text: str, secret: str = PASSWORD) -> None:
    for form in leak_forms(secret):
        assert form not in text


@pytest.fixture
def published():
    """Every task message the web side publishes (body and headers)."""
    seen = []

    def record(sender=None, body=None, headers=None, **kwargs):
        seen.append(repr(body) + repr(headers))

    before_task_publish.connect(record, weak=False)
    yield seen
    before_task_publish.disconnect(record)


def _post_form(client, email, smtp, imap_port):
    return client.post(
        reverse("mailbox_new"),
        {
            "email": email,
            "password": PASSWORD,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": smtp.security,
            "imap_host": "127.0.0.1",
            "imap_port": imap_port,
            "imap_security": "ssl",
        },
    )


def _poll(client, mailbox, seconds=40):
    """Re-fetch the status partial the page re-fetches on each pushed event, five times a
    second, to see the states in between; return every body seen, the last one final
    (its answer closes the page's stream)."""
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    if "sse-connect" not in page:  # already final: the page watches nothing
        return [page]
    url = refresh_url(page)
    bodies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == HTTPStatus.OK
        bodies.append(response.content.decode())
        if closes_stream(bodies[-1]):
            return bodies
        time.sleep(0.2)
    pytest.fail(f"the test did not finish; last partial:\n{bodies[-1]}")


def test_it_connects_through_the_worker_and_shows_the_sent_folder(
    celery_worker, client, user, smtp_server, dovecot, published
):
    name = dovecot.unique_username("flow")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    client.force_login(user)

    response = _post_form(client, name, smtp, dovecot.port_ssl)
    mailbox = Mailbox.objects.get(user=user)
    assert response.status_code == HTTPStatus.FOUND

    bodies = _poll(client, mailbox)
    final = bodies[-1]
    assert "Connected" in final and 'class="sent-folder">Sent<' in final
    assert 'data-step="imap-sent_folder"' in final and 'data-step="smtp-auth"' in final
    assert "sse-connect" not in final  # the final answer closes the page's stream

    mailbox.refresh_from_db()
    assert mailbox.status == "connected" and mailbox.sent_folder == "Sent" and mailbox.last_tested_at

    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert len(published) == 1
    for text in [*bodies, page, *published, celery_worker.log()]:
        assert_no_leak(text)


def test_it_shows_steps_live_and_the_exact_error_with_help(
    celery_worker, client, user, raw_server, dovecot, published
):
    name = dovecot.unique_username("flowbad")
    dovecot.add_user(name, "a-different-password", folders=["Sent"])
    silent_smtp = raw_server(silent)  # SMTP hangs until the probe timeout, IMAP fails at once
    silent_smtp.security = "starttls"
    client.force_login(user)

    _post_form(client, name, silent_smtp, dovecot.port_ssl)
    mailbox = Mailbox.objects.get(user=user)
    bodies = _poll(client, mailbox)
    final = bodies[-1]

    live = [b for b in bodies[:-1] if 'data-step="imap-login"' in b]
    assert live, "IMAP steps should show while SMTP is still being tested"
    assert not any(closes_stream(b) for b in bodies[:-1])
    assert "IMAP authentication error" in final and "Timeout error" in final
    assert "IMAP access is switched on" in final  # the category's help
    assert "AUTHENTICATIONFAILED" in final  # the server's own words
    assert "Contact support" in final
    for text in [*bodies, *published, celery_worker.log()]:
        assert_no_leak(text)


def test_a_wrong_tls_mode_is_fixed_with_one_click(celery_worker, client, user, smtp_server, dovecot):
    name = dovecot.unique_username("fix")
    dovecot.add_user(name, PASSWORD, folders=["Sent"])
    smtp = smtp_server(security="starttls", users={name: PASSWORD})
    smtp.security = "ssl"  # what the user picks: SSL on a STARTTLS port
    client.force_login(user)
    _post_form(client, name, smtp, dovecot.port_ssl)
    mailbox = Mailbox.objects.get(user=user)

    final = _poll(client, mailbox)[-1]
    assert "SSL/TLS error" in final and f"Port {smtp.port} expects STARTTLS, not SSL/TLS." in final
    assert "Apply and test again" in final
    error = mailbox.latest_test().errors.get()

    client.post(reverse("mailbox_apply_fix", args=[mailbox.pk, error.pk]))
    final = _poll(client, mailbox)[-1]
    assert "Connected" in final and 'class="sent-folder">Sent<' in final
    mailbox.refresh_from_db()
    assert mailbox.smtp_security == "starttls" and mailbox.status == "connected"
    assert_no_leak(final)
    assert_no_leak(mailbox.latest_test().transcript)
