"""Table tests over every directory entry: complete, consistent, and found by each
of its domains and MX fingerprints, with no network."""

import pytest

from diagnostics.autodetection import detect
from diagnostics.net import directory, guard
from diagnostics.net.directory import ADDRESS, LOCAL_PART, POLICIES, SSO_REQUIRED, UNSUPPORTED

PROVIDERS = directory.PROVIDERS
BY_DOMAIN = [(p.id, d) for p in PROVIDERS for d in p.domains]
BY_MX = [(p.id, fp) for p in PROVIDERS for fp in p.mx]
# Every provider the directory promises to know, by our ids (Zoho in all five regions, IONOS in three).
REQUIRED = [
    "google",
    "microsoft",
    "yahoo",
    "aol",
    "icloud",
    "zoho",
    "zoho-eu",
    "zoho-in",
    "zoho-au",
    "zoho-jp",
    "proton",
    "fastmail",
    "gmx",
    "webde",
    "yandex",
    "mailru",
    "t-online",
    "orange",
    "free",
    "laposte",
    "libero",
    "virgilio",
    "seznam",
    "wp",
    "o2",
    "interia",
    "onet",
    "comcast",
    "att",
    "verizon",
    "godaddy",
    "ionos",
    "ovh",
    "gandi",
    "namecheap",
    "rackspace",
    "yandex360",
    "tuta",
    "hey",
    "mailbox-org",
    "posteo",
    "runbox",
    "migadu",
    "purelymail",
]


def test_it_has_at_least_sixty_providers_with_unique_ids():
    ids = [p.id for p in PROVIDERS]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


def test_it_includes_every_provider_the_issue_names():
    assert set(REQUIRED) - {p.id for p in PROVIDERS} == set()


def test_it_gives_each_domain_to_one_provider_only():
    seen: dict[str, str] = {}
    for provider_id, domain in BY_DOMAIN:
        assert seen.setdefault(domain, provider_id) == provider_id, domain


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_it_describes_every_provider_completely(provider):
    assert provider.name and provider.policy in POLICIES
    assert provider.help_url.startswith("https://")
    assert provider.domains or provider.mx, "reachable by a domain or by MX"
    assert (provider.policy == SSO_REQUIRED) == bool(provider.sso)
    if provider.policy in (SSO_REQUIRED, UNSUPPORTED):
        assert provider.notes, "a blocked provider must say why"
        assert provider.smtp is None and provider.imap is None
        return
    if provider.policy != "ok":
        assert provider.notes, "preparation or a warning needs words"
    for endpoint in (provider.smtp, provider.imap, provider.hosted_smtp, provider.hosted_imap):
        if endpoint is None:
            continue
        assert guard.normalize_host(endpoint.host) == endpoint.host
        assert endpoint.security in ("ssl", "starttls"), "never plain text"
        assert endpoint.username in (ADDRESS, LOCAL_PART)
        assert endpoint.port in (465, 587, 993, 143)
    assert provider.smtp is not None and provider.imap is not None


@pytest.mark.parametrize("provider_id,domain", BY_DOMAIN)
def test_it_finds_every_provider_by_each_of_its_domains(provider_id, domain):
    assert directory.lookup(f"Someone@{domain.upper()}").id == provider_id
    detection = detect(f"someone@{domain}", network=False)
    assert detection.provider.id == provider_id and detection.source == "directory"
    provider = detection.provider
    if provider.smtp is not None:
        expected = "someone" if provider.imap.username == LOCAL_PART else f"someone@{domain}"
        assert detection.imap.username == expected
        assert (detection.smtp.host, detection.imap.host) == (provider.smtp.host, provider.imap.host)
        assert detection.fields["imap"]["host"] == {
            "value": provider.imap.host,
            "source": "directory",
            "confidence": "high",
        }


@pytest.mark.parametrize("provider_id,fingerprint", BY_MX)
def test_it_finds_every_provider_by_each_of_its_mx_fingerprints(provider_id, fingerprint):
    match = directory.lookup_mx([f"mx1.{fingerprint}."])
    assert match is not None and match[0].id == provider_id


@pytest.mark.parametrize(
    "domain,provider_id",
    [
        ("hotmail.co.uk", "microsoft"),
        ("live.fr", "microsoft"),
        ("outlook.com.br", "microsoft"),
        ("yahoo.co.uk", "yahoo"),
        ("yahoo.co.jp", "yahoo-jp"),
        ("aol.de", "aol"),
        ("live.example.com", None),  # a subdomain of someone else's domain
        ("outlook.blogspot.com", None),  # a private suffix is not a country
        ("notgmail.com", None),
    ],
)
def test_it_recognises_country_variants_of_brands_only(domain, provider_id):
    assert getattr(directory.lookup(f"a@{domain}"), "id", None) == provider_id


@pytest.mark.parametrize(
    "domain,imap_host",
    [
        ("zoho.com", "imap.zoho.com"),
        ("zohomail.eu", "imap.zoho.eu"),
        ("zoho.in", "imap.zoho.in"),
        ("zoho.com.au", "imap.zoho.com.au"),
        ("zoho.jp", "imap.zoho.jp"),
    ],
)
def test_it_picks_the_zoho_region_by_domain(domain, imap_host):
    assert detect(f"a@{domain}", network=False).imap.host == imap_host


def test_it_matches_the_most_specific_mx_fingerprint():
    assert directory.lookup_mx(["mx-aol.mail.gm0.yahoodns.net"])[0].id == "aol"
    assert directory.lookup_mx(["mta5.am0.yahoodns.net"])[0].id == "yahoo"
    assert directory.lookup_mx(["mx.zoho.com.au"])[0].id == "zoho-au"
    assert directory.lookup_mx(["notzoho.com", "mx.example.net"]) is None


def test_it_uses_the_local_part_only_for_icloud_imap():
    detection = detect("Jane.Doe@me.com", network=False)
    assert detection.imap.username == "Jane.Doe"
    assert detection.smtp.username == "Jane.Doe@me.com"


def test_it_answers_a_known_domain_without_any_network(dns, https_server, http_server):
    detection = detect("someone@gmail.com")
    assert detection.provider.policy == "sso_required" and detection.settings_dict() is None
    # Nothing was asked of DNS or the web (autoconfig, ISPDB).
    assert dns.queries == [] and https_server.requests == [] and http_server.requests == []
