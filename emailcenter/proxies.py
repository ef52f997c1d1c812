"""The client's address: the peer's, unless the peer is a proxy named in TRUSTED_PROXIES.

Only then does X-Forwarded-For count, read from the right: each trusted proxy appends
the address it saw, so the first address from the right that is not a trusted proxy is
the client. Anything to its left was written by the client and may be forged. With
TRUSTED_PROXIES empty (the default) the header is ignored, whoever the peer is: a
client on 127.0.0.1 cannot pick its address for the sign-in throttle.

The web server must pass the peer through as it is or apply the same list: `make run`,
compose and the Dockerfile give uvicorn/gunicorn `--forwarded-allow-ips` from
TRUSTED_PROXIES (their own default trusts 127.0.0.1 whatever this setting says).
"""

import ipaddress
from functools import lru_cache

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _ip(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def trusted(address, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(peer: str, forwarded_for: str, trusted_proxies) -> str:
    """The client's address for a request from `peer` carrying `forwarded_for`."""
    networks = _networks(tuple(trusted_proxies))
    if not networks or not forwarded_for or not trusted(_ip(peer), networks):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        address = _ip(hop)
        if address is None:
            return peer  # a garbled chain: the proxy we trust is the last sure thing
        if not trusted(address, networks):
            return str(address)
    return peer


def _apply(request) -> None:
    meta = request.META
    meta["REMOTE_ADDR"] = client_address(
        meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXIES
    )


@sync_and_async_middleware
def forwarded_client(get_response):
    """Sets REMOTE_ADDR to the client's address, for everything that reads it."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            _apply(request)
            return await get_response(request)

    else:

        def middleware(request):
            _apply(request)
            return get_response(request)

    return middleware
