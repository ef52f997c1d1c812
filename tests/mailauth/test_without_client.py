"""Without an OAuth client for Google or Microsoft nobody meets a dead end: Gmail takes
an app password (Google's servers filled in, tested like any password mailbox), Microsoft
gets a plain explanation and a support request filled in; configuration names are for
staff only, and the connect form says which path applies before the click."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import Mailbox
from diagnostics import flows
from support.models import SupportRequest
from tests.accounts.pages import data_island
from tests.mailauth import flows as oauth_flows

pytestmark = pytest.mark.django_db

CONFIG_WORDS = ("GOOGLE_OAUTH", "MICROSOFT_OAUTH", "README", "CLIENT_ID", "CLIENT_SECRET")


@pytest.fixture
def no_clients(settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    settings.MICROSOFT_OAUTH_CLIENT_ID = settings.MICROSOFT_OAUTH_CLIENT_SECRET = ""


def _no_configuration_names(body: str) -> None:
    for words in CONFIG_WORDS:
        assert words not in body, words


def test_gmail_gets_the_app_password_path_with_googles_links(client_a, no_clients):
    response = client_a.get(reverse("sso_start", args=["google"]), {"email": "jane@gmail.com"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    _no_configuration_names(body)
    assert "https://myaccount.google.com/apppasswords" in body
    assert "https://myaccount.google.com/signinoptions/twosv" in body
    assert "https://support.google.com/a/answer/105694" in body  # Workspace: the admin allows IMAP
    assert f'href="{reverse("mailbox_new")}?email=jane%40gmail.com"' in body


def test_the_connect_form_opens_with_googles_servers_and_an_app_password_field(client_a, no_clients):
    body = client_a.get(reverse("mailbox_new"), {"email": "jane@gmail.com"}).content.decode()
    _no_configuration_names(body)
    assert '<label for="id_password">App password' in body
    assert 'value="smtp.gmail.com"' in body and 'value="imap.gmail.com"' in body
    assert 'data-path="app_password"' in body and "Sign in with Google</a>" not in body
    # The hint the page asks while the address is typed says the same before any click.
    hint = client_a.get(reverse("provider_hint"), {"email": "jane@gmail.com"}).content.decode()
    assert 'data-path="app_password"' in hint
    data = data_island(hint)
    assert not data["blocked"] and data["values"]["imap_host"] == "imap.gmail.com"


def test_with_a_client_the_panel_offers_sign_in(client_a, oauth_settings):
    hint = client_a.get(reverse("provider_hint"), {"email": "jane@gmail.com"}).content.decode()
    assert "Sign in with Google</a>" in hint and "app_password" not in hint
    hint = client_a.get(reverse("provider_hint"), {"email": "jane@outlook.com"}).content.decode()
    assert "Sign in with Microsoft</a>" in hint and 'data-path="request"' not in hint


def test_the_gmail_app_password_path_is_tested_like_any_password_mailbox(
    client_a, settings, no_clients, smtp_server, dovecot
):
    address = dovecot.unique_username("app").replace("example.test", "gmail.com")
    dovecot.add_user(address, "abcdefghijklmnop", folders=["Sent"])
    smtp = smtp_server(security="ssl", users={address: "abcdefghijklmnop"})
    oauth_flows.servers_override(settings, smtp, dovecot)  # Google's servers, here
    form = client_a.get(reverse("mailbox_new"), {"email": address}).content.decode()
    assert f'value="{smtp.port}"' in form
    response = client_a.post(
        reverse("mailbox_new"),
        # As Google shows it, in groups of four: the spaces are not part of it.
        {"email": address, "password": "abcd efgh ijkl mnop"},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
    mailbox = Mailbox.objects.get(email=address)
    assert (mailbox.provider_id, mailbox.auth_method, mailbox.smtp_port) == ("google", "password", smtp.port)
    test = mailbox.tests.get()
    flows.execute_test(test.pk)
    test.refresh_from_db()
    assert test.status == "connected", list(test.errors.values("code", "reason", "detail"))


def test_microsoft_says_plainly_and_offers_a_filled_in_support_request(client_a, no_clients, user):
    hint = client_a.get(reverse("provider_hint"), {"email": "jane@outlook.com"}).content.decode()
    assert 'data-path="request"' in hint and "has not enabled it yet" in hint
    response = client_a.get(reverse("sso_start", args=["microsoft"]), {"email": "jane@outlook.com"})
    body = response.content.decode()
    _no_configuration_names(body)
    assert "only lets mail apps in through" in body and "What happens next" in body
    assert 'value="jane@outlook.com"' in body and "I want to connect jane@outlook.com" in body
    sent = client_a.post(
        reverse("sso_request", args=["microsoft"]),
        {"email": "jane@outlook.com", "message": "Please enable it for jane@outlook.com."},
    )
    request = SupportRequest.objects.get()
    assert sent.status_code == HTTPStatus.FOUND and sent["Location"] == reverse(
        "support_detail", args=[request.pk]
    )
    assert (request.user, request.email, request.provider_id) == (user, "jane@outlook.com", "microsoft")
    assert request.errors[0]["reason"] == "oauth_not_configured" and request.error_codes == ",sso_required,"
    page = client_a.get(sent["Location"]).content.decode()
    assert "Support has your request" in page


def test_a_support_request_needs_a_signed_in_person_and_a_post(client, no_clients):
    url = reverse("sso_request", args=["microsoft"])
    assert client.post(url, {"email": "x@outlook.com"}).status_code == HTTPStatus.FOUND  # to the login page
    assert SupportRequest.objects.count() == 0


def test_support_staff_see_the_request_with_its_address_and_reason(client, make_user, no_clients):
    from core.roles import SUPPORT, grant

    person = make_user("asker")
    client.force_login(person)
    client.post(reverse("sso_request", args=["microsoft"]), {"email": "jane@outlook.com", "message": ""})
    request = SupportRequest.objects.get()
    assert "I want to connect jane@outlook.com" in request.message  # the filled-in words, when left empty
    agent = make_user("agent")
    grant(agent, SUPPORT)
    client.force_login(agent)
    page = client.get(reverse("support_queue_detail", args=[request.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "jane@outlook.com" in page.content.decode()
