"""The provider directory's public face (kept for existing imports).

The data and lookups live in `diagnostics.directory`.
"""

from .directory import (  # noqa: F401
    ADDRESS,
    LOCAL_PART,
    NEEDS_PREPARATION,
    NOT_RECOMMENDED,
    OK,
    POLICIES,
    PROVIDERS,
    SSO_REQUIRED,
    UNSUPPORTED,
    Endpoint,
    Provider,
    by_host,
    by_id,
    domain_of,
    lookup,
    lookup_domain,
    lookup_mx,
    registrable,
    username_for,
)
