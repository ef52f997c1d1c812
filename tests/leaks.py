"""The forms a leaked password would take: plain, base64 and URL-encoded."""

import base64
import urllib.parse


def leak_forms(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
    ]
