"""A local OAuth 2.0 / OpenID Connect authorization server for tests, on 127.0.0.1.

Built on Authlib's server side (authorization code grant with PKCE, refresh grant,
RFC 7009 revocation, RFC 7662 introspection, ID tokens carrying `email`), served by
a threaded wsgiref server with a small request adapter of our own. The authorize
endpoint consents at once for the user set with `sign_in_as()`, so a browser test
goes button -> consent -> back without a login page.

Tokens live in memory; tests make them expire (`expire()`, `access_lifetime`) and
revoke them (`revoke_user()`) on demand, and can issue one directly (`issue()`).
Refresh tokens rotate like Microsoft's: each refresh returns a new one and the old
one stops working.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey

HOST = "127.0.0.1"
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"
MICROSOFT_MAIL_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
)
KEY_ID = "test-key-1"


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any loopback URI

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return scope or ""

    def check_redirect_uri(self, redirect_uri):
        if self.redirect_uris:
            return redirect_uri in self.redirect_uris
        # Loopback (the live server) and Django's test client.
        return redirect_uri.startswith(("http://127.0.0.1:", "http://localhost:", "http://testserver/"))

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class User:
    sub: str
    email: str


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class Token:
    client_id: str
    user: User
    scope: str
    access_token: str
    refresh_token: str | None
    issued_at: float
    expires_in: int
    revoked: bool = False
    refresh_revoked: bool = False

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user

    def get_client(self):
        return None


class _Request(OAuth2Request):
    """Authlib's request, read from a WSGI environ."""

    def __init__(self, environ: dict, base_url: str):
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode() if length else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        uri = base_url + environ.get("PATH_INFO", "") + (f"?{environ['QUERY_STRING']}" if query else "")
        super().__init__(environ["REQUEST_METHOD"], uri, headers=headers)
        self.payload = BasicOAuth2Payload({**query, **form})
        self._args, self._form = query, form

    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class _Server(AuthorizationServer):
    def __init__(self, owner: LocalOAuthServer):
        super().__init__()
        self.owner = owner

    def query_client(self, client_id):
        return self.owner.clients.get(client_id)

    def save_token(self, token, request):
        self.owner._store(token, request.client.client_id, request.user)

    def create_oauth2_request(self, request):
        return request

    def create_json_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def send_signal(self, name, *args, **kwargs):
        pass


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.server.owner.codes[code] = AuthCode(
            code,
            request.client.client_id,
            data.get("redirect_uri", ""),
            request.scope if hasattr(request, "scope") and request.scope else data.get("scope", ""),
            request.user,
            data.get("nonce"),
            data.get("code_challenge"),
            data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code, client):
        item = self.server.owner.codes.get(code)
        if item and item.client_id == client.client_id:
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        self.server.owner.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class _RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate, as Microsoft does

    def authenticate_refresh_token(self, refresh_token):
        token = self.server.owner.by_refresh.get(refresh_token)
        if token is not None and not token.refresh_revoked:
            return token
        return None

    def authenticate_user(self, refresh_token):
        return refresh_token.user

    def revoke_old_credential(self, refresh_token):
        refresh_token.refresh_revoked = True
        self.server.owner.refreshes += 1


class _OpenIDCode(OpenIDCode):
    def __init__(self, owner: LocalOAuthServer):
        super().__init__(require_nonce=False)
        self.owner = owner

    def exists_nonce(self, nonce, request):
        return False

    def resolve_client_private_key(self, client):
        return self.owner.key

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": KEY_ID}

    def get_client_claims(self, client):
        return {"iss": self.owner.issuer, "aud": [client.client_id], "exp": int(time.time()) + 3600}

    def generate_user_info(self, user, scope):
        info = UserInfo(sub=user.sub)
        if "email" in scope.split():
            info["email"] = user.email
            info["email_verified"] = True
        return info


class _Revocation(RevocationEndpoint):
    def query_token(self, token_string, token_type_hint):
        owner = self.server.owner
        return owner.by_access.get(token_string) or owner.by_refresh.get(token_string)

    def revoke_token(self, token, request):
        # Revoking either token of a grant ends both, as Google does.
        token.revoked = token.refresh_revoked = True
        self.server.owner.revocations.append(token.user.email)


class _Introspection(IntrospectionEndpoint):
    def query_token(self, token_string, token_type_hint):
        owner = self.server.owner
        return owner.by_access.get(token_string) or owner.by_refresh.get(token_string)

    def introspect_token(self, token):
        return {
            "active": True,
            "client_id": token.client_id,
            "token_type": "Bearer",
            "scope": token.scope,
            "sub": token.user.sub,
            "email": token.user.email,
            "username": token.user.email,
            "exp": int(token.issued_at + token.expires_in),
            "iat": int(token.issued_at),
            "iss": self.server.owner.issuer,
        }

    def check_permission(self, token, client, request):
        return True

    def create_introspection_payload(self, token):
        if token is None or token.revoked or token.is_expired():
            return {"active": False}
        return self.introspect_token(token)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # no request lines in test output
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class LocalOAuthServer:
    """Start with `start()`; `metadata_url` is the OpenID discovery document."""

    def __init__(self, access_lifetime: int = 3600):
        self.access_lifetime = access_lifetime
        self.clients: dict[str, Client] = {}
        self.users: dict[str, User] = {}
        self.codes: dict[str, AuthCode] = {}
        self.by_access: dict[str, Token] = {}
        self.by_refresh: dict[str, Token] = {}
        self.revocations: list[str] = []
        self.refreshes = 0
        self.token_requests: list[dict] = []  # form fields the token endpoint received
        self.authorize_requests: list[dict] = []
        self.current_email = ""
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig", "alg": "RS256"})
        self._lock = threading.Lock()
        self._httpd = make_server(
            HOST, 0, self._app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self.port = self._httpd.server_address[1]
        self.issuer = f"http://{HOST}:{self.port}"
        self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self.server = _Server(self)
        self.server.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **kw: "at-" + secrets.token_urlsafe(24),
                refresh_token_generator=lambda **kw: "rt-" + secrets.token_urlsafe(24),
                expires_generator=lambda client, grant_type: self.access_lifetime,
            ),
        )
        self.server.register_grant(_CodeGrant, [CodeChallenge(required=True), _OpenIDCode(self)])
        self.server.register_grant(_RefreshGrant)
        self.server.register_endpoint(_Revocation)
        self.server.register_endpoint(_Introspection)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oauth-server", daemon=True)

    # -- lifecycle --------------------------------------------------------

    def start(self) -> LocalOAuthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- what tests change ------------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> Client:
        client = Client(client_id, client_secret)
        self.clients[client_id] = client
        return client

    def user(self, email: str) -> User:
        email = email.lower()
        if email not in self.users:
            self.users[email] = User(sub=f"sub-{len(self.users) + 1}", email=email)
        return self.users[email]

    def sign_in_as(self, email: str) -> None:
        """The account the authorize endpoint consents for, at once."""
        self.current_email = email
        self.user(email)

    def issue(self, email: str, scope: str, client_id: str, lifetime: int | None = None) -> Token:
        """A token as if granted through the browser (for tests that skip it)."""
        token = {
            "access_token": "at-" + secrets.token_urlsafe(24),
            "refresh_token": "rt-" + secrets.token_urlsafe(24),
            "expires_in": self.access_lifetime if lifetime is None else lifetime,
            "scope": scope,
            "token_type": "Bearer",
        }
        return self._store(token, client_id, self.user(email))

    def expire(self, access_token: str) -> None:
        self.by_access[access_token].expires_in = 0

    def revoke_user(self, email: str) -> None:
        """The person removed our app's access in their account settings."""
        for token in list(self.by_access.values()):
            if token.user.email == email.lower():
                token.revoked = token.refresh_revoked = True

    def active_tokens(self, email: str) -> list[Token]:
        return [
            t
            for t in self.by_access.values()
            if t.user.email == email.lower() and not t.revoked and not t.is_expired()
        ]

    # -- internals --------------------------------------------------------

    def _store(self, token: dict, client_id: str, user: User) -> Token:
        with self._lock:
            item = Token(
                client_id,
                user,
                token.get("scope", ""),
                token["access_token"],
                token.get("refresh_token"),
                time.time(),
                int(token.get("expires_in", self.access_lifetime)),
            )
            self.by_access[item.access_token] = item
            if item.refresh_token:
                self.by_refresh[item.refresh_token] = item
            return item

    def _metadata(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "revocation_endpoint": f"{base}/revoke",
            "introspection_endpoint": f"{base}/introspect",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "scopes_supported": [
                "openid",
                "email",
                "offline_access",
                GOOGLE_MAIL_SCOPE,
                *MICROSOFT_MAIL_SCOPES,
            ],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        request = _Request(environ, self.issuer)
        if path == "/.well-known/openid-configuration":
            status, body, headers = 200, self._metadata(), []
        elif path == "/jwks":
            status, body, headers = 200, {"keys": [self.key.as_dict(private=False)]}, []
        elif path == "/authorize":
            status, body, headers = self._authorize(request)
        elif path == "/token":
            self.token_requests.append(dict(request.form))
            status, body, headers = self.server.create_token_response(request)
        elif path == "/revoke":
            status, body, headers = self.server.create_endpoint_response("revocation", request)
        elif path == "/introspect":
            status, body, headers = self.server.create_endpoint_response("introspection", request)
        elif path == "/userinfo":
            status, body, headers = self._userinfo(environ)
        else:
            status, body, headers = 404, {"error": "not_found"}, []
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = [*headers, ("Content-Type", "application/json")]
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"] + [
            (k, v) for k, v in headers if k.lower() == "content-type"
        ][-1:]
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", headers)
        return [body.encode() if isinstance(body, str) else (body or b"")]

    def _authorize(self, request: _Request):
        self.authorize_requests.append(dict(request.args))
        grant = self.server.get_authorization_grant(request)
        user = self.users.get(self.current_email.lower()) if self.current_email else None
        return self.server.create_authorization_response(request, grant_user=user, grant=grant)

    def _userinfo(self, environ):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = (
            self.by_access.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
        )
        if token is None or token.revoked or token.is_expired():
            return 401, {"error": "invalid_token"}, [("WWW-Authenticate", 'Bearer error="invalid_token"')]
        info = {"sub": token.user.sub}
        if "email" in token.scope.split():
            info.update(email=token.user.email, email_verified=True)
        return 200, info, []


def authorize_url(server: LocalOAuthServer, **params) -> str:
    return f"{server.issuer}/authorize?{urlencode(params)}"
