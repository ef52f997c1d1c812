"""The forms a leaked secret would take: plain, base64 and URL-encoded (and, for an
OAuth token, inside its SASL strings)."""

import base64
import urllib.parse


def leak_forms(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
    ]


def token_leak_forms(token: str, user: str = "", servers: tuple[tuple[str, int], ...] = ()) -> list[str]:
    """An OAuth token's forms: the token itself, and the SASL strings that carry it
    (XOAUTH2, and OAUTHBEARER for each server), raw and base64."""
    from diagnostics.net import sasl

    forms = leak_forms(token)
    strings = [sasl.xoauth2(user, token)]
    strings += [sasl.oauthbearer(user, token, host, port) for host, port in servers]
    for raw in strings:
        forms += [raw, base64.b64encode(raw.encode()).decode()]
    return forms
