"""RFC 6186 SRV records against a local DNS server."""

from diagnostics.net.autodetect.cascade import discover
from diagnostics.net.autodetect.detection import from_discovery


def _srv(dns, domain, service, port, target, priority=0, weight=1):
    dns.add(f"{service}._tcp.{domain}", "SRV", [(priority, weight, port, target)])


def test_it_reads_srv_records_and_prefers_implicit_tls(config, dns):
    _srv(dns, "acme.test", "_submission", 587, "mail.acme.test.")
    _srv(dns, "acme.test", "_submissions", 465, "mail.acme.test.")
    _srv(dns, "acme.test", "_imap", 143, "mail.acme.test.")
    _srv(dns, "acme.test", "_imaps", 993, "imap.acme.test.")
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.source == "srv"
    assert found.settings_dict() == {
        "smtp": {"host": "mail.acme.test", "port": 465, "security": "ssl", "username": "jane@acme.test"},
        "imap": {"host": "imap.acme.test", "port": 993, "security": "ssl", "username": "jane@acme.test"},
    }
    assert found.fields["imap"]["host"]["confidence"] == "high"  # inside the user's domain
    assert found.fields["imap"]["username"]["source"] == "default"


def test_it_uses_starttls_records_when_there_is_no_implicit_tls(config, dns):
    _srv(dns, "acme.test", "_submission", 587, "mail.acme.test.")
    _srv(dns, "acme.test", "_imap", 143, "mail.acme.test.")
    result = discover("acme.test", config)
    assert (result.smtp.port, result.smtp.security) == (587, "starttls")
    assert (result.imap.port, result.imap.security) == (143, "starttls")


def test_it_picks_the_lowest_priority_then_the_heaviest_record(config, dns):
    dns.add(
        "_imaps._tcp.acme.test",
        "SRV",
        [
            (20, 0, 993, "backup.acme.test."),
            (10, 1, 993, "light.acme.test."),
            (10, 9, 993, "heavy.acme.test."),
        ],
    )
    assert discover("acme.test", config).imap.host == "heavy.acme.test"


def test_it_trusts_a_target_outside_the_domain_less(config, dns):
    _srv(dns, "acme.test", "_imaps", 993, "imap.hoster.test.")
    _srv(dns, "acme.test", "_submissions", 465, "smtp.hoster.test.")
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.fields["imap"]["host"]["confidence"] == "medium"


def test_it_skips_a_service_marked_not_available(config, dns):
    _srv(dns, "acme.test", "_submissions", 0, ".")
    _srv(dns, "acme.test", "_submission", 587, "mail.acme.test.")
    _srv(dns, "acme.test", "_imaps", 993, "mail.acme.test.")
    result = discover("acme.test", config)
    assert (result.smtp.port, result.smtp.security) == (587, "starttls")


def test_it_applies_the_rules_of_a_known_server_behind_srv(config, dns):
    _srv(dns, "acme.test", "_imaps", 993, "imap.gmail.com.")
    _srv(dns, "acme.test", "_submissions", 465, "smtp.gmail.com.")
    found = from_discovery("jane@acme.test", discover("acme.test", config))
    assert found.provider.id == "google" and found.provider.policy == "sso_required"
