"""The connect form: inline answers for known domains, the worker's cascade with a
push topic to wait on for the others, and provider policies before any password."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Mailbox
from core import dispatch
from diagnostics import autodetection as service
from diagnostics import tasks
from tests.accounts.pages import data_island
from tests.diagnostics.net.autodetect.fixtures import autoconfig_xml, web_host

HTMX = {"HX-Request": "true"}


@pytest.fixture
def queued(monkeypatch):
    """Capture what the web process sends to the worker instead of running a broker."""
    calls = []
    monkeypatch.setattr(dispatch, "send", lambda task, *args: calls.append(args))
    return calls


def _hint(client, email, final=False, **page):
    params = {"email": email, **page, **({"final": "1"} if final else {})}
    return client.get(reverse("provider_hint"), params, headers=HTMX)


# The marks a page showing the fields sends along (connect-form.js).
PAGE = {"smtp_host": "", "auto_smtp_host": ""}


def test_it_fills_in_a_known_provider_at_once_without_polling(client_a, queued):
    body = _hint(client_a, "me@zohomail.eu").content.decode()
    assert 'value="imap.zoho.eu"' in body and "Switch on IMAP access" in body
    assert not data_island(body)["pending"] and queued == []


def test_it_queues_the_cascade_with_the_domain_only_and_names_its_topic(client_a, dns, queued):
    body = _hint(client_a, "jane.doe@acme.test").content.decode()
    assert queued == [("acme.test",)]  # never the address
    data = data_island(body)
    assert data["pending"] and data["topic"] == "detect-acme.test" and "Looking up" in body
    assert 'value="imap.acme.test"' in body  # the usual names meanwhile
    _hint(client_a, "other@acme.test")
    assert queued == [("acme.test",)], "one lookup per domain at a time"


def test_it_sends_the_workers_answer_as_data_and_stops_waiting(client_a, dns, queued, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(
            imap=("mx.acme.test", 993, "SSL", "%EMAILLOCALPART%"),
            smtp=("mx.acme.test", 465, "SSL", "%EMAILLOCALPART%"),
            name="Acme Mail",
        ),
        {},
    )
    _hint(client_a, "jane@acme.test")
    tasks.detect_domain(*queued[0])  # what the worker does with the message
    assert cache.get(service.CACHE_PREFIX + "acme.test")["source"] == "autoconfig"
    assert cache.get(service.PENDING_PREFIX + "acme.test") is None
    body = _hint(client_a, "jane@acme.test", **PAGE).content.decode()
    data = data_island(body)
    assert not data["pending"] and "Acme Mail" in body and "High confidence" in body
    assert data["values"]["smtp_host"] == "mx.acme.test" and data["values"]["username"] == "jane"
    assert "<input" not in body  # the fields the user is typing in are never replaced


def test_it_fills_in_a_username_per_protocol_when_they_differ(client_a, dns, queued, https_server):
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(imap=("mx.acme.test", 993, "SSL", "%EMAILLOCALPART%")),
        {},
    )
    tasks.detect_domain("acme.test")
    values = data_island(_hint(client_a, "jane@acme.test").content.decode())["values"]
    assert (values["imap_username"], values["smtp_username"]) == ("jane", "")


def test_it_shows_sign_in_when_the_worker_finds_a_workspace_domain(client_a, dns, queued, oauth_clients):
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com.")])
    _hint(client_a, "jane@acme.test")
    tasks.detect_domain("acme.test")
    body = _hint(client_a, "jane@acme.test", **PAGE).content.decode()
    assert 'id="details" data-blocked' in body  # the whole block: the fields go
    assert "Sign in with Google" in body and 'name="password"' not in body


def test_it_stops_waiting_when_the_worker_never_answers(client_a, dns, queued):
    assert data_island(_hint(client_a, "jane@acme.test").content.decode())["pending"]
    body = _hint(client_a, "jane@acme.test", final=True).content.decode()  # at the page's deadline
    assert not data_island(body)["pending"] and "in time" in body


def test_it_refuses_a_workspace_custom_domain_on_submit(client_a, dns, oauth_clients):
    dns.add("acme.test", "MX", [(1, "aspmx.l.google.com.")])
    response = client_a.post(reverse("mailbox_new"), _form("jane@acme.test"))
    assert response.status_code == HTTPStatus.OK
    assert "Sign in with Google" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_it_refuses_a_proton_custom_domain_on_submit(client_a, dns):
    dns.add("acme.test", "MX", [(10, "mail.protonmail.ch."), (20, "mailsec.protonmail.ch.")])
    response = client_a.post(reverse("mailbox_new"), _form("jane@acme.test"))
    assert "no direct SMTP/IMAP" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_it_keeps_every_field_the_user_typed_over_the_detected_ones(client_a, dns, monkeypatch):
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)
    dns.add("acme.test", "MX", [(10, "mx.zoho.eu.")])
    response = client_a.post(reverse("mailbox_new"), _form("jane@acme.test", smtp_host="relay.acme.test"))
    assert response.status_code == HTTPStatus.FOUND
    mailbox = Mailbox.objects.get()
    assert mailbox.smtp_host == "relay.acme.test" and mailbox.provider_id == "zoho-eu"


def test_it_names_the_provider_found_by_mx_in_the_panel(client_a, dns, queued):
    dns.add("acme.test", "MX", [(10, "in1-smtp.messagingengine.com.")])
    tasks.detect_domain("acme.test")
    body = _hint(client_a, "jane@acme.test").content.decode()
    assert "Fastmail" in body and "Recognised from your domain&#x27;s mail (MX) records" in body
    assert 'value="smtp.fastmail.com"' in body and queued == []


def _form(email, **overrides):
    values = {
        "email": email,
        "password": "app-password",
        "username": "",
        "smtp_host": "smtp.acme.test",
        "smtp_port": 465,
        "smtp_security": "ssl",
        "imap_host": "imap.acme.test",
        "imap_port": 993,
        "imap_security": "ssl",
    }
    values.update(overrides)
    return values


def test_it_still_offers_the_form_when_the_broker_is_down(
    client_a, dns, monkeypatch, django_capture_on_commit_callbacks
):
    from core.models import OutboxMessage

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(dispatch, "publish", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = _hint(client_a, "jane@acme.test")
    assert response.status_code == HTTPStatus.OK and 'name="password"' in response.content.decode()
    # The lookup is held in the outbox, sent once the broker is back: the form waits for it.
    held = OutboxMessage.objects.get(task=dispatch.DETECT_DOMAIN, sent_at__isnull=True)
    assert held.args == ["acme.test"] and held.attempts == 1 and held.last_error == "ConnectionError"


def test_it_keeps_form_validation_fast_when_dns_hangs(client_a, dns, monkeypatch):
    import time

    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)
    dns.hang("acme.test")
    started = time.monotonic()
    response = client_a.post(reverse("mailbox_new"), _form("jane@acme.test"))
    assert time.monotonic() - started < service.QUICK_MX_TIMEOUT + 1.0
    assert response.status_code == HTTPStatus.FOUND  # no policy known: the typed settings are used


def test_it_queues_nothing_for_a_domain_still_being_typed(client_a, queued, settings):
    settings.DNS_NAMESERVERS = []  # the public DNS, where "acme.c" cannot exist
    body = _hint(client_a, "jane@acme.c").content.decode()
    assert queued == [] and not data_island(body)["pending"]


def test_it_shows_where_each_server_came_from_and_any_disagreement(client_a, dns, queued, https_server):
    dns.add("_imaps._tcp.acme.test", "SRV", [(0, 1, 993, "mail.acme.test.")])
    web_host(dns, "autoconfig.acme.test")
    https_server.routes["/mail/config-v1.1.xml"] = (
        200,
        autoconfig_xml(
            imap=("legacy.acme.test", 993, "SSL", "%EMAILADDRESS%"), smtp=("smtp.acme.test", 465, "SSL", "x")
        ),
        {},
    )
    service.discover_and_store("acme.test", complete=True)
    body = _hint(client_a, "jane@acme.test").content.decode()
    assert "IMAP mail.acme.test:993 (ssl): from your domain&#x27;s SRV records, high confidence" in body
    assert "SMTP smtp.acme.test:465 (ssl): from your domain&#x27;s autoconfig file, high confidence" in body
    assert "Sources disagree on IMAP host" in body and "legacy.acme.test:993" in body


def test_it_limits_how_many_new_domains_one_user_can_have_looked_up(client_a, dns, queued, monkeypatch):
    monkeypatch.setattr(service, "LOOKUPS_PER_WINDOW", 2)
    for domain in ("one.test", "two.test", "three.test"):
        _hint(client_a, f"jane@{domain}")
    assert queued == [("one.test",), ("two.test",)]
    body = _hint(client_a, "jane@three.test").content.decode()
    assert not data_island(body)["pending"]
