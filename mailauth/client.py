"""The one way to a provider's OAuth endpoints (Authlib's client side).

The endpoints come from the provider's OpenID discovery document, whose URL only
the administrator sets (GOOGLE_OAUTH_METADATA_URL...): they are infrastructure, like
the database, not addresses a user typed, so they do not go through the mail
guard. Every call has a timeout; nothing here logs a token.
"""

import base64
import json
import logging
import threading
import time

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from authlib.integrations.requests_client import OAuth2Session

from diagnostics.net.sasl import TokenFacts

from .providers import MICROSOFT, OAuthProvider

log = logging.getLogger(__name__)
TIMEOUT = 10
_apps: dict[tuple, DjangoOAuth2App] = {}
_apps_lock = threading.Lock()


class GrantRefused(Exception):
    """The provider refused to renew the grant (invalid_grant): the person must reconnect."""


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, 5xx, a broken answer)."""


def web_app(provider: OAuthProvider) -> DjangoOAuth2App:
    """Authlib's Django client for the sign-in redirect and callback (PKCE S256, state
    and nonce kept in the session). One per configuration, so that the discovery
    document and the signing keys are fetched once per process."""
    key = (provider.id, provider.client_id, provider.client_secret, provider.metadata_url, provider.scope)
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            app = DjangoOAuth2App(
                DjangoIntegration(provider.id),
                name=provider.id,
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                server_metadata_url=provider.metadata_url,
                authorize_params=provider.authorize_params,
                client_kwargs={
                    "scope": provider.scope,
                    "code_challenge_method": "S256",
                    "default_timeout": TIMEOUT,
                },
            )
            _apps[key] = app
    return app


def authorization(provider: OAuthProvider, request, redirect_uri: str, **params) -> dict:
    """The consent page's URL (with state, PKCE S256 challenge and nonce), the state
    data saved in the session; returns Authlib's answer (url, state...)."""
    app = web_app(provider)
    try:
        answer = app.create_authorization_url(redirect_uri, **params)
    except Exception as exc:
        raise ProviderUnavailable(f"{provider.label}'s sign-in page could not be prepared") from exc
    app.save_authorize_data(request, redirect_uri=redirect_uri, **answer)
    return answer


def exchange(provider: OAuthProvider, request) -> dict:
    """The callback's code for tokens (with the session's PKCE verifier); the ID
    token is validated (signature, issuer, audience, nonce) and put under `userinfo`.
    Raises Authlib's OAuthError (MismatchingStateError for a state we did not issue)."""
    return web_app(provider).authorize_access_token(request, claims_options=id_token_options(provider))


def metadata(provider: OAuthProvider) -> dict:
    try:
        return web_app(provider).load_server_metadata()
    except Exception as exc:
        raise ProviderUnavailable(f"{provider.label}'s discovery document could not be read") from exc


def id_token_options(provider: OAuthProvider) -> dict | None:
    """Microsoft's multi-tenant issuer is a template ({tenantid}); check it against the
    token's own tenant instead of comparing the literal string."""
    if provider.id != MICROSOFT:
        return None
    issuer = metadata(provider).get("issuer", "")
    if "{tenantid}" not in issuer:
        return None

    def same_issuer(claims, value) -> bool:
        return value == issuer.replace("{tenantid}", str(claims.get("tid", "")))

    return {"iss": {"essential": True, "validate": same_issuer}}


def _session(provider: OAuthProvider) -> OAuth2Session:
    return OAuth2Session(provider.client_id, provider.client_secret, default_timeout=TIMEOUT)


def refresh(provider: OAuthProvider, refresh_token: str) -> dict:
    """A new access token (and, from Microsoft, a new refresh token to keep)."""
    endpoint = metadata(provider).get("token_endpoint")
    try:
        with _session(provider) as session:
            return dict(session.refresh_token(endpoint, refresh_token=refresh_token))
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            raise GrantRefused(exc.description or "invalid_grant") from None
        raise ProviderUnavailable(f"the token endpoint answered {exc.error}") from None
    except Exception as exc:
        raise ProviderUnavailable(f"the token endpoint could not be reached ({type(exc).__name__})") from None


def revoke(provider: OAuthProvider, token: str, hint: str) -> bool:
    """RFC 7009 revocation, best effort: False when the provider has no endpoint
    (Microsoft) or did not answer; the caller deletes the tokens either way."""
    try:
        endpoint = metadata(provider).get("revocation_endpoint")
        if not endpoint or not token:
            return False
        with _session(provider) as session:
            response = session.revoke_token(endpoint, token=token, token_type_hint=hint)
        return response.status_code == 200
    except Exception:
        log.warning("could not revoke a %s token", provider.id, exc_info=False)
        return False


def facts(provider: OAuthProvider, token: str) -> TokenFacts:
    """What the provider says about an access token, to explain a refusal: RFC 7662
    introspection when offered, else the OpenID userinfo (Google), else the token's own
    claims (Microsoft's Outlook tokens are JWTs we cannot verify, read for diagnosis only)."""
    found = metadata(provider)
    if found.get("introspection_endpoint"):
        with _session(provider) as session:
            response = session.post(
                found["introspection_endpoint"],
                data={"token": token, "token_type_hint": "access_token"},
                auth=(provider.client_id, provider.client_secret),
                withhold_token=True,
            )
        info = response.json()
        if not info.get("active"):
            expired = "exp" in info and info["exp"] <= time.time()
            return TokenFacts(active=False, expired=expired or None)
        return TokenFacts(
            active=True, email=info.get("email", ""), scopes=tuple(info.get("scope", "").split())
        )
    if found.get("userinfo_endpoint") and provider.id != MICROSOFT:
        with _session(provider) as session:
            response = session.get(
                found["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, withhold_token=True
            )
        if response.status_code == 401:
            return TokenFacts(active=False)
        return TokenFacts(active=True, email=response.json().get("email", ""))
    return _jwt_facts(token)


def _jwt_facts(token: str) -> TokenFacts:
    parts = token.split(".")
    if len(parts) != 3:
        return TokenFacts()
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return TokenFacts()
    email = claims.get("upn") or claims.get("unique_name") or claims.get("email") or ""
    scopes = tuple(claims["scp"].split()) if isinstance(claims.get("scp"), str) else None
    expired = claims["exp"] <= time.time() if isinstance(claims.get("exp"), int) else None
    return TokenFacts(active=None if not expired else False, email=email, scopes=scopes, expired=expired)


def vouched_identity(provider: OAuthProvider, token: dict) -> tuple[str, str]:
    """(address, subject) the provider vouches for: the ID token Authlib validated
    (signature, issuer, audience, nonce), else the userinfo endpoint."""
    claims = dict(token.get("userinfo") or {})
    if not claims.get("email"):
        endpoint = metadata(provider).get("userinfo_endpoint")
        if endpoint and provider.id != MICROSOFT:  # Microsoft's userinfo wants a Graph token
            with _session(provider) as session:
                response = session.get(
                    endpoint,
                    headers={"Authorization": f"Bearer {token['access_token']}"},
                    withhold_token=True,
                )
            if response.ok:
                claims.update(response.json())
    email = claims.get("email") or ""
    if not email and provider.id == MICROSOFT and "@" in str(claims.get("preferred_username", "")):
        email = claims["preferred_username"]  # work accounts may carry no email claim
    return str(email).strip().lower(), str(claims.get("sub") or claims.get("oid") or "")
