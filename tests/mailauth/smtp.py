"""aiosmtpd with AUTH XOAUTH2 and OAUTHBEARER, checking tokens at the local
authorization server's introspection endpoint, and failing the way Gmail does:
`334 <base64 JSON>` first, then `535 5.7.8` once the client sends its empty answer.

`tenant_smtp_auth_disabled=True` answers like a Microsoft 365 tenant with SMTP AUTH
switched off (`535 5.7.139`), whatever the token.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from aiosmtpd.smtp import AuthResult

from tests.servers.smtp import SMTPServer, _Handler
from tests.servers.tls import TestPKI

GMAIL_REFUSAL = "535-5.7.8 Username and Password not accepted. For more information, go to\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials"
TENANT_REFUSAL = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
)


@dataclass
class TokenCheck:
    mechanism: str
    user: str
    ok: bool
    why: str


class Introspector:
    """Asks the authorization server about a token, as a resource server does."""

    def __init__(self, url: str, client_id: str, client_secret: str, mail_scope: str):
        self.url = url
        self.auth = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.mail_scope = mail_scope

    def check(self, user: str, token: str) -> tuple[bool, str]:
        request = urllib.request.Request(
            self.url,
            data=urlencode({"token": token}).encode(),
            headers={"Authorization": self.auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback test server)
            info = json.load(response)
        if not info.get("active"):
            return False, "invalid_token"
        if self.mail_scope not in info.get("scope", "").split():
            return False, "insufficient_scope"
        if info.get("email", "").lower() != user.lower():
            return False, "invalid_token"
        return True, ""


def parse_xoauth2(raw: bytes) -> tuple[str, str]:
    fields = dict(part.split("=", 1) for part in raw.decode().split("\x01") if "=" in part)
    return fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")


def parse_oauthbearer(raw: bytes) -> tuple[str, str]:
    text = raw.decode()
    gs2, _, rest = text.partition("\x01")
    user = next((p[2:] for p in gs2.split(",") if p.startswith("a=")), "")
    fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    return user, fields.get("auth", "").removeprefix("Bearer ")


class _OAuthHandler(_Handler):
    def __init__(self, server: OAuthSMTPServer, mechanisms: tuple[str, ...]) -> None:
        super().__init__(server, mechanisms)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses

    async def auth_XOAUTH2(self, server, args):
        return await self._bearer(server, args, "XOAUTH2", parse_xoauth2)

    async def auth_OAUTHBEARER(self, server, args):
        return await self._bearer(server, args, "OAUTHBEARER", parse_oauthbearer)

    async def _bearer(self, server, args, mechanism, parse):
        owner: OAuthSMTPServer = self.server
        if mechanism not in owner.oauth_mechanisms:
            return AuthResult(
                success=False, handled=False, message="504 5.5.4 Unrecognized authentication type"
            )
        if len(args) > 1:
            raw = base64.b64decode(args[1])
        else:
            raw = await server.challenge_auth("")
            if not isinstance(raw, bytes):
                return AuthResult(success=False, handled=True)
        user, token = parse(raw)
        if owner.tenant_smtp_auth_disabled:
            owner.checks.append(TokenCheck(mechanism, user, False, "tenant"))
            return AuthResult(success=False, handled=False, message=TENANT_REFUSAL)
        ok, why = await asyncio.get_running_loop().run_in_executor(
            None, owner.introspector.check, user, token
        )
        owner.checks.append(TokenCheck(mechanism, user, ok, why))
        if ok:
            return AuthResult(success=True, auth_data=user)
        status = "400" if why == "insufficient_scope" else "401"
        challenge = {"status": status, "schemes": "Bearer", "scope": owner.introspector.mail_scope}
        await server.challenge_auth(json.dumps(challenge))  # the client answers with an empty line
        return AuthResult(success=False, handled=False, message=GMAIL_REFUSAL)


class OAuthSMTPServer(SMTPServer):
    def __init__(self, *args, introspector: Introspector, oauth_mechanisms: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.introspector = introspector
        self.oauth_mechanisms = oauth_mechanisms
        self.tenant_smtp_auth_disabled = False
        self.checks: list[TokenCheck] = []
        self._handler = _OAuthHandler(self, ())
        excluded = ["PLAIN", "LOGIN"] + [m for m in ("XOAUTH2", "OAUTHBEARER") if m not in oauth_mechanisms]
        self._smtp_kwargs["auth_exclude_mechanism"] = excluded


def start_oauth_smtp(
    pki: TestPKI,
    introspector: Introspector,
    security: str = "ssl",
    oauth_mechanisms: tuple[str, ...] = ("XOAUTH2",),
) -> OAuthSMTPServer:
    """An SMTP server that takes only bearer tokens (Gmail offers XOAUTH2 and
    OAUTHBEARER; Microsoft documents XOAUTH2 only)."""
    tls_context = pki.server_context(None) if security != "none" else None
    server = OAuthSMTPServer(
        tls_context,
        security,
        {},
        security == "starttls",
        (),
        None,
        {},
        introspector=introspector,
        oauth_mechanisms=oauth_mechanisms,
    )
    return server.start()
