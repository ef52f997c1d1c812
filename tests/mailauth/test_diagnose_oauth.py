"""`manage.py diagnose EMAIL --oauth-token-env VAR`: the same JSON, token sign-in for
both protocols, the OAuth reasons, and the token never printed."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .fixtures import GOOGLE_CLIENT, GOOGLE_SCOPE, oauth_env

ROOT = Path(__file__).resolve().parents[2]
# The command runs in its own process on the test database (it reads the shared cache).
pytestmark = pytest.mark.django_db(transaction=True)


def _cli(*args, env=None, stdin=None):
    return subprocess.run(
        [sys.executable, "manage.py", "diagnose", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def cli_env(test_database_url, auth_server):
    # The command reads the shared cache: give it the (migrated) test database.
    return {"DATABASE_URL": test_database_url, **oauth_env(auth_server)}


@pytest.fixture
def run(pki, auth_server, oauth_dovecot, oauth_smtp, cli_env):
    smtp = oauth_smtp(security="ssl", oauth_mechanisms=("XOAUTH2", "OAUTHBEARER"))

    def diagnose(email, token, *extra, via="env"):
        env = {
            "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
            "SSL_CERT_FILE": pki.ca_file,
            "MAIL_PROBE_TIMEOUT": "3",
            **cli_env,
        }
        servers = [
            "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-security", "ssl",
            "--imap-host", "127.0.0.1", "--imap-port", str(oauth_dovecot.port_ssl), "--imap-security", "ssl",
        ]  # fmt: skip
        if via == "env":
            env["MAILBOX_TOKEN"] = token
            result = _cli(email, "--oauth-token-env", "MAILBOX_TOKEN", *servers, *extra, "--json", env=env)
        else:
            result = _cli(
                email, "--oauth-token-stdin", *servers, *extra, "--json", env=env, stdin=token + "\n"
            )
        output = result.stdout + result.stderr
        for form in (
            token,
            base64.b64encode(f"user={email}\x01auth=Bearer {token}\x01\x01".encode()).decode(),
        ):
            assert form not in output, "the token was printed"
        return result

    return diagnose


def test_a_good_token_connects_both_protocols(run, auth_server, oauth_dovecot):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("cli"))
    token = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0]).access_token
    for via in ("env", "stdin"):
        result = run(email, token, via=via)
        assert result.returncode == 0, result.stdout + result.stderr
        data = json.loads(result.stdout)
        assert set(data) >= {"email", "status", "provider", "settings", "sent_folder", "errors", "steps"}
        assert data["status"] == "connected" and data["sent_folder"] == "Sent"
        auth = {(s["protocol"], s["name"]): s["detail"] for s in data["steps"]}
        assert auth[("smtp", "auth")] == "AUTH OAUTHBEARER accepted"
        assert auth[("imap", "login")] == "AUTHENTICATE OAUTHBEARER accepted"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("revoked", "token_revoked"),
        ("other_user", "token_wrong_account"),
        ("no_mail_scope", "insufficient_scope"),
    ],
)
def test_a_refused_token_gets_its_reason(run, auth_server, oauth_dovecot, case, reason):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("clibad"))
    owner = "stranger@example.test" if case == "other_user" else email
    scope = "openid email" if case == "no_mail_scope" else GOOGLE_SCOPE
    token = auth_server.issue(owner, scope, GOOGLE_CLIENT[0]).access_token
    if case == "revoked":
        auth_server.revoke_user(email)
    result = run(email, token, "--oauth-provider", "google")
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert {(e["protocol"], e["code"], e["reason"]) for e in data["errors"]} == {
        ("smtp", "smtp_auth", reason),
        ("imap", "imap_auth", reason),
    }
    assert all(any("Reconnect" in tip or "reconnect" in tip for tip in e["help"]) for e in data["errors"])


def test_without_server_flags_it_uses_the_directorys_servers(cli_env):
    # No network here: the address is Gmail's, so the servers come from the directory;
    # DNS goes to a closed port and fails fast, which is enough to see which host was tried.
    env = {**cli_env, "MAILBOX_TOKEN": "ya29.not-a-real-token", "DNS_NAMESERVERS": "127.0.0.1:9"}
    result = _cli("someone@gmail.com", "--oauth-token-env", "MAILBOX_TOKEN", "--json", env=env)
    data = json.loads(result.stdout)
    assert data["settings"]["smtp"] == {
        "host": "smtp.gmail.com",
        "port": 465,
        "security": "ssl",
        "username": "someone@gmail.com",
    }
    assert data["settings"]["imap"]["host"] == "imap.gmail.com" and data["settings"]["imap"]["port"] == 993
    assert not any(e["code"] == "sso_required" for e in data["errors"])
    assert "ya29.not-a-real-token" not in result.stdout + result.stderr


def test_an_unset_token_variable_is_a_usage_error(cli_env):
    result = _cli("someone@gmail.com", "--oauth-token-env", "NO_SUCH_VARIABLE_HERE", "--json", env=cli_env)
    assert result.returncode == 2 and "NO_SUCH_VARIABLE_HERE" in result.stderr
