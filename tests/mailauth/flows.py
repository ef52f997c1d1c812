"""Helpers for driving the sign-in flow without a browser: the Django test client
for our pages, plain HTTP for the local authorization server's consent."""

from urllib.parse import parse_qs, urlsplit

import requests
from django.urls import reverse

from diagnostics.net.directory.model import Endpoint


def servers_override(settings, smtp, dovecot) -> None:
    """Point Google's and Microsoft's mail servers at the local ones."""
    local = {
        "smtp": Endpoint("127.0.0.1", smtp.port, smtp.security),
        "imap": Endpoint("127.0.0.1", dovecot.port_ssl, "ssl"),
    }
    settings.OAUTH_MAIL_SERVERS = {"google": local, "microsoft": local}


def start(client, provider="google", **params):
    """Our start view's redirect to the provider's authorize endpoint."""
    response = client.get(reverse("sso_start", args=[provider]), params)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def consent(authorize_url: str) -> str:
    """The provider's answer (auto-consent): our callback's path and query."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    location = urlsplit(answer.headers["Location"])
    return f"{location.path}?{location.query}"


def authorize_params(authorize_url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}


def sign_in(client, provider="google", **params):
    """Start, consent and come back; returns our callback's response."""
    return client.get(consent(start(client, provider, **params)))
