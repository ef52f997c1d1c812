"""What the directory knows about one provider. Plain data, no network."""

from dataclasses import dataclass

OK = "ok"
SSO_REQUIRED = "sso_required"
UNSUPPORTED = "unsupported"
NOT_RECOMMENDED = "not_recommended"
NEEDS_PREPARATION = "needs_preparation"
POLICIES = (OK, SSO_REQUIRED, UNSUPPORTED, NOT_RECOMMENDED, NEEDS_PREPARATION)

ADDRESS = "address"  # the username is the full email address
LOCAL_PART = "local"  # the username is the part before the @


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: str
    username: str = ADDRESS


def ssl(host: str, port: int, username: str = ADDRESS) -> Endpoint:
    """Implicit TLS from the first byte (RFC 8314), the form we prefer."""
    return Endpoint(host, port, "ssl", username)


def starttls(host: str, port: int, username: str = ADDRESS) -> Endpoint:
    return Endpoint(host, port, "starttls", username)


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    domains: tuple[str, ...]
    policy: str = OK
    smtp: Endpoint | None = None
    imap: Endpoint | None = None
    notes: tuple[str, ...] = ()
    help_url: str = ""
    sso: str = ""  # "google" or "microsoft" when policy is sso_required
    # Brands that exist under many country suffixes (hotmail.co.uk, yahoo.fr): the
    # label before a public suffix. "live.example.com" is not Microsoft's.
    domain_prefixes: tuple[str, ...] = ()
    # MX host suffixes that identify the provider for custom domains.
    mx: tuple[str, ...] = ()
    # Servers for custom domains found by MX, when they differ from the consumer ones
    # (Zoho's organisation accounts use imappro/smtppro).
    hosted_smtp: Endpoint | None = None
    hosted_imap: Endpoint | None = None
    # Other server names that belong to this provider, so that an SRV record or an
    # autoconfig file pointing at them carries the provider's policy too.
    known_hosts: tuple[str, ...] = ()
    # Servers for mailboxes that sign in with the provider (SASL XOAUTH2/OAUTHBEARER),
    # for providers that take no passwords (policy sso_required).
    oauth_smtp: Endpoint | None = None
    oauth_imap: Endpoint | None = None
    # Sender-domain checks: the host a custom domain's SPF record must include for this
    # provider's servers to send for it, and the DKIM selectors the provider signs with.
    spf_includes: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "policy": self.policy,
            "notes": list(self.notes),
            "help_url": self.help_url,
            "sso": self.sso,
        }

    def servers(self, hosted: bool = False) -> tuple[Endpoint | None, Endpoint | None]:
        """(smtp, imap); for a custom domain found by MX, the hosted servers if any."""
        if hosted:
            return self.hosted_smtp or self.smtp, self.hosted_imap or self.imap
        return self.smtp, self.imap

    def hosts(self) -> set[str]:
        found = set(self.known_hosts)
        for endpoint in (self.smtp, self.imap, self.hosted_smtp, self.hosted_imap):
            if endpoint is not None:
                found.add(endpoint.host)
        return found
