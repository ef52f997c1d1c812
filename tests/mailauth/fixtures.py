"""pytest plugin (listed in tests/conftest.py): fixtures for OAuth mailboxes.

The local authorization server, a Dovecot that validates bearer tokens there,
aiosmtpd with XOAUTH2/OAUTHBEARER, a worker that knows the providers' settings, and
the app's provider settings pointed at the local server."""

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import spawn_worker

from .authserver import GOOGLE_MAIL_SCOPE, LocalOAuthServer
from .dovecot import OAuthDovecot
from .smtp import Introspector, OAuthSMTPServer, start_oauth_smtp

GOOGLE_CLIENT = ("google-test-client", "google-test-secret")
MICROSOFT_CLIENT = ("microsoft-test-client", "microsoft-test-secret")
GOOGLE_SCOPE = f"{GOOGLE_MAIL_SCOPE} openid email"


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[LocalOAuthServer]:
    server = LocalOAuthServer().start()
    server.add_client(*GOOGLE_CLIENT)
    server.add_client(*MICROSOFT_CLIENT)
    yield server
    server.stop()


@pytest.fixture
def auth_server(oauth_server) -> Iterator[LocalOAuthServer]:
    """The session's server with this test's lifetime and account choice reset."""
    oauth_server.access_lifetime = 3600
    oauth_server.current_email = ""
    yield oauth_server
    oauth_server.access_lifetime = 3600


@pytest.fixture(scope="session")
def oauth_dovecot(pki, oauth_server) -> Iterator[OAuthDovecot]:
    client_id, secret = GOOGLE_CLIENT
    url = f"http://{client_id}:{secret}@127.0.0.1:{oauth_server.port}/introspect"
    server = OAuthDovecot(pki, url, oauth_server.metadata_url, GOOGLE_MAIL_SCOPE).start()
    yield server
    server.stop()


@pytest.fixture
def introspector(oauth_server) -> Introspector:
    return Introspector(f"{oauth_server.issuer}/introspect", *GOOGLE_CLIENT, GOOGLE_MAIL_SCOPE)


@pytest.fixture
def oauth_smtp(pki, introspector) -> Iterator:
    """Factory: ``oauth_smtp(security="ssl", oauth_mechanisms=("XOAUTH2",))``."""
    servers: list[OAuthSMTPServer] = []

    def factory(**kwargs) -> OAuthSMTPServer:
        server = start_oauth_smtp(pki, introspector, **kwargs)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def oauth_clients(settings):
    """An OAuth client for Google and Microsoft (never used to sign in): the connect form
    then offers Sign in with Google/Microsoft rather than the paths without one."""
    settings.GOOGLE_OAUTH_CLIENT_ID, settings.GOOGLE_OAUTH_CLIENT_SECRET = GOOGLE_CLIENT
    settings.MICROSOFT_OAUTH_CLIENT_ID, settings.MICROSOFT_OAUTH_CLIENT_SECRET = MICROSOFT_CLIENT
    return settings


@pytest.fixture
def oauth_settings(settings, oauth_server):
    """The app's Google and Microsoft settings aimed at the local server."""
    settings.GOOGLE_OAUTH_CLIENT_ID, settings.GOOGLE_OAUTH_CLIENT_SECRET = GOOGLE_CLIENT
    settings.MICROSOFT_OAUTH_CLIENT_ID, settings.MICROSOFT_OAUTH_CLIENT_SECRET = MICROSOFT_CLIENT
    settings.GOOGLE_OAUTH_METADATA_URL = oauth_server.metadata_url
    settings.MICROSOFT_OAUTH_METADATA_URL = oauth_server.metadata_url
    return settings


def oauth_env(oauth_server) -> dict[str, str]:
    """The same settings as environment variables, for worker and CLI processes."""
    return {
        "GOOGLE_OAUTH_CLIENT_ID": GOOGLE_CLIENT[0],
        "GOOGLE_OAUTH_CLIENT_SECRET": GOOGLE_CLIENT[1],
        "MICROSOFT_OAUTH_CLIENT_ID": MICROSOFT_CLIENT[0],
        "MICROSOFT_OAUTH_CLIENT_SECRET": MICROSOFT_CLIENT[1],
        "GOOGLE_OAUTH_METADATA_URL": oauth_server.metadata_url,
        "MICROSOFT_OAUTH_METADATA_URL": oauth_server.metadata_url,
    }


@pytest.fixture(scope="session")
def oauth_worker(test_database_url, pki, oauth_server, tmp_path_factory):
    """A worker process that knows the providers' settings (it renews tokens), on its own queue."""
    queue = f"oauth-{uuid.uuid4().hex[:10]}"
    saved = dict(os.environ)
    os.environ.update(oauth_env(oauth_server))
    try:
        worker = spawn_worker(
            test_database_url, pki, tmp_path_factory.mktemp("oauth-worker") / "w.log", queue
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    worker.queue = queue
    yield worker
    worker.proc.terminate()
    worker.proc.wait(15)


@pytest.fixture
def on_worker(settings, oauth_worker):
    settings.CELERY_TASK_DEFAULT_QUEUE = oauth_worker.queue
    return oauth_worker
