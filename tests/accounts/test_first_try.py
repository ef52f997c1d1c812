"""The first try: a domain whose SRV records (a local DNS server) give STARTTLS submission
and implicit-TLS IMAP. The person types only the address and the password; the mailbox
is saved with exactly what detection found, whether or not the answer reached the page."""

import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from core import dispatch
from diagnostics import tasks

from .pages import data_island, submitted_values

pytestmark = pytest.mark.django_db

SMTP_PORT, IMAP_PORT = 2587, 2993


@pytest.fixture
def srv_domain(dns_server, settings):
    settings.DNS_NAMESERVERS = [dns_server.nameservers]
    settings.AUTOCONFIG_ISPDB_URL = ""
    settings.AUTOCONFIG_DEADLINE = 3.0
    settings.AUTOCONFIG_GUESS_PORTS = {}
    domain = f"first-{uuid.uuid4().hex[:8]}.test"  # answers are cached per domain (Redis outlives tests)
    dns_server.add(f"_submission._tcp.{domain}", "SRV", [(0, 1, SMTP_PORT, "127.0.0.1.")])
    dns_server.add(f"_imaps._tcp.{domain}", "SRV", [(0, 1, IMAP_PORT, "127.0.0.1.")])
    return domain


@pytest.fixture
def worker_inline(monkeypatch):
    """What the worker does with the lookup the form queues, run here and now."""
    monkeypatch.setattr(dispatch, "send", lambda task, *args: tasks.detect_domain(*args))
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


def _apply_like_the_script(values: dict, data: dict) -> None:
    """connect-form.js: fill the fields that still hold what the page filled in."""
    for name, value in data["values"].items():
        if values.get(name) == values.get(f"auto_{name}"):
            values[name] = values[f"auto_{name}"] = value


@pytest.mark.parametrize("answer_reached_the_page", [True, False])
def test_the_address_and_the_password_alone_connect_with_the_detected_starttls(
    client_a, srv_domain, worker_inline, answer_reached_the_page
):
    values = submitted_values(client_a.get(reverse("mailbox_new")).content.decode())
    values["email"] = f"jane@{srv_domain}"
    hint = {k: v for k, v in values.items() if k != "csrfmiddlewaretoken"}
    first = data_island(client_a.get(reverse("provider_hint"), hint).content.decode())
    assert first["pending"] and first["topic"] == f"detect-{srv_domain}"  # the worker has it now
    data = data_island(client_a.get(reverse("provider_hint"), hint).content.decode())  # on the push
    assert data["confirmed"] and not data["pending"], data
    assert data["values"]["smtp_security"] == "starttls" and data["values"]["smtp_port"] == str(SMTP_PORT)
    if answer_reached_the_page:
        _apply_like_the_script(values, data)
    values["password"] = "app-password-1"
    response = client_a.post(reverse("mailbox_new"), values)
    assert response.status_code == HTTPStatus.FOUND
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security) == (
        "127.0.0.1",
        SMTP_PORT,
        "starttls",
    )
    assert (mailbox.imap_host, mailbox.imap_port, mailbox.imap_security) == ("127.0.0.1", IMAP_PORT, "ssl")
    assert mailbox.login_name("smtp") == mailbox.login_name("imap") == f"jane@{srv_domain}"
