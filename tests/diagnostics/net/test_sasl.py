"""The network core with bearer tokens, against Dovecot's oauth2 passdb and aiosmtpd
checking tokens at the local authorization server. No Django here."""

import base64
import json

import pytest

from diagnostics.net import sasl
from diagnostics.net.runner import CONNECTED, FAILED, run_probes
from diagnostics.net.sasl import Bearer, RenewalFailed, TokenFacts
from diagnostics.net.transport import ServerSettings
from tests.mailauth.authserver import GOOGLE_MAIL_SCOPE
from tests.mailauth.fixtures import GOOGLE_CLIENT, GOOGLE_SCOPE


def _servers(smtp, dovecot, email, smtp_security="ssl"):
    return (
        ServerSettings("127.0.0.1", smtp.port, smtp_security, email),
        ServerSettings("127.0.0.1", dovecot.port_ssl, "ssl", email),
    )


def _facts(server):
    """What the provider says about a token, asked at its introspection endpoint."""

    def inspect(token: str) -> TokenFacts:
        found = server.by_access.get(token)
        if found is None or found.revoked or found.is_expired():
            return TokenFacts(active=False, expired=bool(found and found.is_expired()))
        return TokenFacts(active=True, email=found.user.email, scopes=tuple(found.scope.split()))

    return inspect


def _leaks(diagnosis, *secrets):
    text = (
        json.dumps([s.as_dict() for s in diagnosis.steps] + [e.as_dict() for e in diagnosis.errors])
        + diagnosis.transcript_text()
    )
    return [s for s in secrets if s and s in text]


def test_it_builds_the_documented_sasl_strings():
    # Google's documented example.
    raw = sasl.xoauth2("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
    assert base64.b64encode(raw.encode()).decode() == (
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52"
        "YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
    )
    assert sasl.oauthbearer("a,b=c@x.test", "t", "imap.x.test", 993) == (
        "n,a=a=2Cb=3Dc@x.test,\x01host=imap.x.test\x01port=993\x01auth=Bearer t\x01\x01"
    )
    assert sasl.pick(["PLAIN", "XOAUTH2", "OAUTHBEARER"]) == "OAUTHBEARER"
    assert sasl.pick(["xoauth2"]) == "XOAUTH2" and sasl.pick(["PLAIN"]) is None
    challenge = base64.b64encode(b'{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}')
    assert sasl.read_challenge(challenge)["status"] == "401"
    assert sasl.read_challenge(b"not base64 at all!") is None


def test_it_connects_with_xoauth2_and_oauthbearer(auth_server, oauth_dovecot, oauth_smtp, probe_config):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("tok"))
    token = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0]).access_token
    smtp = oauth_smtp(security="ssl", oauth_mechanisms=("XOAUTH2", "OAUTHBEARER"))
    diagnosis = run_probes(*_servers(smtp, oauth_dovecot, email), Bearer(token), probe_config)
    assert diagnosis.status == CONNECTED, diagnosis.errors
    assert diagnosis.sent_folder == "Sent"
    steps = {(s.protocol, s.name): s.detail for s in diagnosis.steps}
    # OAUTHBEARER where offered (Dovecot and this SMTP server offer both).
    assert steps[("smtp", "auth")] == "AUTH OAUTHBEARER accepted"
    assert steps[("imap", "login")] == "AUTHENTICATE OAUTHBEARER accepted"
    assert [c.mechanism for c in smtp.checks] == ["OAUTHBEARER"]
    assert "AUTH OAUTHBEARER [redacted]" in diagnosis.transcripts["smtp"]
    assert not _leaks(diagnosis, token)

    xoauth_only = oauth_smtp(security="starttls", oauth_mechanisms=("XOAUTH2",))
    again = run_probes(*_servers(xoauth_only, oauth_dovecot, email, "starttls"), Bearer(token), probe_config)
    assert again.status == CONNECTED, again.errors
    assert [c.mechanism for c in xoauth_only.checks] == ["XOAUTH2"]


def test_a_refused_token_is_renewed_once_and_the_test_goes_on(
    auth_server, oauth_dovecot, oauth_smtp, probe_config
):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("renew"))
    stale = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0])
    auth_server.expire(stale.access_token)  # our clock still thinks it is good
    fresh = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0]).access_token
    calls = []

    def renew():
        calls.append(1)
        return fresh

    smtp = oauth_smtp(security="ssl")
    bearer = Bearer(stale.access_token, renew=renew)
    diagnosis = run_probes(*_servers(smtp, oauth_dovecot, email), bearer, probe_config)
    assert diagnosis.status == CONNECTED, diagnosis.errors
    assert calls == [1], "both protocols were refused, one renewal serves both"
    steps = {(s.protocol, s.name): s.detail for s in diagnosis.steps}
    assert steps[("smtp", "auth")].endswith("(token renewed)")
    assert "renewing it and trying once more" in diagnosis.transcripts["imap"]
    assert not _leaks(diagnosis, stale.access_token, fresh)


def test_a_refused_renewal_is_token_revoked(auth_server, oauth_dovecot, oauth_smtp, probe_config):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("revoked"))
    token = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0]).access_token
    auth_server.revoke_user(email)

    def renew():
        raise RenewalFailed(sasl.TOKEN_REVOKED)

    smtp = oauth_smtp(security="ssl")
    diagnosis = run_probes(*_servers(smtp, oauth_dovecot, email), Bearer(token, renew=renew), probe_config)
    assert diagnosis.status == FAILED
    assert {(e.protocol, e.code, e.reason) for e in diagnosis.errors} == {
        ("smtp", "smtp_auth", "token_revoked"),
        ("imap", "imap_auth", "token_revoked"),
    }
    smtp_error = next(e for e in diagnosis.errors if e.protocol == "smtp")
    assert "5.7.8" in smtp_error.server_reply
    assert any("Reconnect" in tip for tip in smtp_error.help)
    assert not any("app-specific password" in tip for tip in smtp_error.help), "no password advice"
    # The Gmail-style JSON challenge was read and noted.
    assert '"status": "401"' in diagnosis.transcripts["smtp"]


@pytest.mark.parametrize(
    ("who", "scope", "reason"),
    [
        ("other", GOOGLE_SCOPE, "token_wrong_account"),
        ("self", "openid email", "insufficient_scope"),
    ],
)
def test_it_tells_another_accounts_token_and_a_token_without_mail(
    auth_server, oauth_dovecot, oauth_smtp, probe_config, who, scope, reason
):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("who"))
    owner = "someone-else@example.test" if who == "other" else email
    token = auth_server.issue(owner, scope, GOOGLE_CLIENT[0]).access_token
    bearer = Bearer(token, mail_scope=GOOGLE_MAIL_SCOPE, inspect=_facts(auth_server))
    diagnosis = run_probes(*_servers(oauth_smtp(security="ssl"), oauth_dovecot, email), bearer, probe_config)
    assert {(e.protocol, e.reason) for e in diagnosis.errors} == {("smtp", reason), ("imap", reason)}


def test_a_fresh_token_still_refused_is_the_tenants_configuration(
    auth_server, oauth_dovecot, oauth_smtp, probe_config
):
    email = oauth_dovecot.add_mailbox(oauth_dovecot.unique_username("tenant"))
    token = auth_server.issue(email, GOOGLE_SCOPE, GOOGLE_CLIENT[0]).access_token
    smtp = oauth_smtp(security="starttls")
    smtp.tenant_smtp_auth_disabled = True
    diagnosis = run_probes(*_servers(smtp, oauth_dovecot, email, "starttls"), Bearer(token), probe_config)
    assert diagnosis.status == FAILED
    (error,) = diagnosis.errors
    assert (error.protocol, error.reason) == ("smtp", "imap_disabled_for_account")
    assert "5.7.139" in error.server_reply
    assert any("SMTP AUTH" in tip for tip in error.help)


def test_a_server_without_token_sign_in_says_so(auth_server, dovecot, smtp_server, probe_config):
    smtp = smtp_server(security="starttls")
    imap = ServerSettings("127.0.0.1", dovecot.port_ssl, "ssl", "x@example.test")
    diagnosis = run_probes(
        ServerSettings("127.0.0.1", smtp.port, "starttls", "x@example.test"),
        imap,
        Bearer("t0k3n-xyz"),
        probe_config,
    )
    assert {(e.protocol, e.reason) for e in diagnosis.errors} == {
        ("smtp", "oauth_not_offered"),
        ("imap", "oauth_not_offered"),
    }
