"""Django's side of autodetection: settings, the per-domain cache, and where the
cascade runs (inline for the directory and the cache, in a Celery task for the
network cascade behind the web form, synchronously in the management commands).

The cache key is the domain only; nothing cached or sent to the worker holds an
address.
"""

import logging

from django.conf import settings
from django.core.cache import cache

from core import dispatch

from .config import probe_config
from .net import directory
from .net.autodetect.config import AutodetectConfig
from .net.autodetect.detection import Detection, conventional, from_discovery
from .net.autodetect.model import Discovery
from .net.autodetect.sources import from_directory
from .net.directory import Provider
from .net.directory.names import is_public
from .net.errors import ProbeError
from .net.guard import normalize_host

log = logging.getLogger(__name__)

CACHE_PREFIX = "autodetect:v1:"
PENDING_PREFIX = "autodetect:v1:pending:"
# Unknown domains are looked up again sooner: a provider may publish settings later.
NOTHING_FOUND_TTL = 15 * 60
# New lookups one user may queue per window (counted per user id, across processes).
LOOKUPS_PER_WINDOW = 30
BUDGET_WINDOW = 10 * 60
# clean_email's MX check: short, so that a slow DNS server cannot stall a form post.
QUICK_MX_TIMEOUT = 1.5


def autodetect_config() -> AutodetectConfig:
    return AutodetectConfig(
        probe=probe_config(),
        deadline=settings.AUTOCONFIG_DEADLINE,
        ispdb_url=settings.AUTOCONFIG_ISPDB_URL,
        https_port=settings.AUTOCONFIG_HTTPS_PORT,
        http_port=settings.AUTOCONFIG_HTTP_PORT,
        guess_ports={int(k): int(v) for k, v in settings.AUTOCONFIG_GUESS_PORTS.items()},
    )


def _domain(value: str) -> str | None:
    try:
        return normalize_host(value)
    except ProbeError:
        return None


def cached(domain: str) -> Discovery | None:
    data = cache.get(CACHE_PREFIX + domain)
    if data is None:
        return None
    try:
        return Discovery.from_dict(data)
    except (KeyError, TypeError):
        return None  # an older shape: look it up again


def store(discovery: Discovery) -> None:
    found = discovery.smtp is not None or discovery.imap is not None or discovery.provider_id
    ttl = (
        settings.AUTOCONFIG_CACHE_SECONDS
        if found
        else min(NOTHING_FOUND_TTL, settings.AUTOCONFIG_CACHE_SECONDS)
    )
    cache.set(CACHE_PREFIX + discovery.domain, discovery.to_dict(), ttl)


def discover_and_store(domain: str, complete: bool = False) -> Discovery:
    """Run the whole cascade for a domain now and cache the answer."""
    from .net.autodetect import cascade  # on use: the directory alone needs none of it

    discovery = cascade.discover(domain, autodetect_config(), complete=complete)
    if discovery.source != "directory":
        store(discovery)
    return discovery


def detect(email: str, network: bool = True, use_cache: bool = True, complete: bool = False) -> Detection:
    """Settings for an address. network=False: the directory, the cache, or the
    conventional unchecked guess, with no network at all."""
    domain = directory.domain_of(email)
    discovery = from_directory(domain)
    if discovery is None and use_cache:
        discovery = cached(domain)
    if discovery is None and network and _domain(domain):
        discovery = discover_and_store(domain, complete=complete)
    if discovery is None:
        return conventional(email)
    return from_discovery(email, discovery)


def _spend(budget: str) -> bool:
    """One more new lookup for this user, if the budget allows (typing stray domains
    must not turn one account into a flood of outbound requests)."""
    if not budget:
        return True
    from core import limits  # on use: the command line never counts (and needs no Redis client)

    return limits.allow("autodetect-budget", budget, limit=LOOKUPS_PER_WINDOW, window=BUDGET_WINDOW)


def start_lookup(domain: str, budget: str = "") -> bool:
    """Queue the network cascade for a domain unless it is already queued; False
    when the user's budget is spent or the broker cannot take it."""
    if not cache.add(PENDING_PREFIX + domain, 1, timeout=int(settings.AUTOCONFIG_DEADLINE) + 30):
        return True
    if not _spend(budget):
        cache.delete(PENDING_PREFIX + domain)
        return False
    dispatch.send(dispatch.DETECT_DOMAIN, domain)  # held by the outbox while the broker is away
    return True


def finish_lookup(domain: str) -> None:
    cache.delete(PENDING_PREFIX + domain)


def hint(email: str, start: bool = True, budget: str = "") -> Detection:
    """For the web form: never waits on the network. The directory or the cache
    answer at once; otherwise the cascade is queued and the conventional guess is
    shown, marked pending, until the worker's answer is in the cache."""
    domain = directory.domain_of(email)
    discovery = from_directory(domain) or cached(domain)
    if discovery is not None:
        return from_discovery(email, discovery)
    # With the public DNS a domain without a real ending cannot exist (and is often
    # still being typed): nothing to queue.
    worth_it = _domain(domain) is not None and (settings.DNS_NAMESERVERS or is_public(domain))
    queued = start and worth_it and start_lookup(domain, budget)
    return conventional(email, pending=bool(queued))


def quick_provider(email: str) -> Provider | None:
    """The provider whose rules apply, fast enough for form validation: the
    directory, the cache, then the MX record alone with a short timeout."""
    domain = directory.domain_of(email)
    provider = directory.lookup_domain(domain)
    if provider is not None:
        return provider
    discovery = cached(domain)
    if discovery is None and _domain(domain):
        config = autodetect_config()
        from .net.autodetect import cascade

        discovery = cascade.identify_by_mx(domain, config, min(QUICK_MX_TIMEOUT, config.deadline))
        if discovery is not None:
            store(discovery)  # MX outranks every other network source: this is final
    return directory.by_id(discovery.provider_id) if discovery else None
