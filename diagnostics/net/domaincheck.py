"""The sender domain's DNS: SPF and DMARC (checkdmarc), DKIM and MX (dnspython).

Every item says what was found, a status (ok, warning, missing, invalid, unknown),
advice in plain words and, where something must change, the exact record to add
(`fix`: type, name, value). Lookups go to DNS_NAMESERVERS when set, with the probes'
timeout; with the system resolver, reserved names (.test, .example...) are never asked.

"Not found" for a DKIM selector is not "missing DKIM": DNS cannot list a domain's
selectors, so only the provider's known selectors (from the directory) and the one
the round trip's DKIM-Signature named are looked up.
"""

import contextlib
import threading

from .autodetect import dnsq
from .directory.model import Provider
from .steps import ProbeConfig, short
from .words import N_

OK, WARNING, MISSING, INVALID, UNKNOWN = "ok", "warning", "missing", "invalid", "unknown"
DNS_TIMEOUT = 4.0  # seconds per lookup at most, whatever MAIL_PROBE_TIMEOUT says
_NO_RECORD = ("does not exist",)
_MAX_INCLUDES = 50
# Where each provider's DKIM key is switched on; the key itself is made there.
DKIM_WHERE = {
    "google": "Google Admin › Apps › Google Workspace › Gmail › Authenticate email",
    "microsoft": "Microsoft Defender portal › Email authentication settings › DKIM",
    "fastmail": "Fastmail › Settings › Domains › your domain › DNS records",
    "icloud": "iCloud Mail › Custom Email Domain (Apple publishes the key for you)",
}
_DMARC_START = "v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"


def _fix(rtype: str, name: str, value: str) -> dict:
    return {"type": rtype, "name": name, "value": value}


def _nameservers(config: ProbeConfig, timeout: float):
    return dnsq.resolver(config, timeout).nameservers if config.nameservers else None


def _includes(parsed: dict | None, found: set[str]) -> set[str]:
    """Every include and redirect target in a checkdmarc parse tree, recursively."""
    if not parsed or len(found) > _MAX_INCLUDES:
        return found
    for mechanism in parsed.get("mechanisms") or []:
        if mechanism.get("mechanism") == "include" and mechanism.get("value"):
            found.add(str(mechanism["value"]).lower().rstrip("."))
            _includes(mechanism.get("parsed"), found)
    redirect = parsed.get("redirect")
    if isinstance(redirect, dict) and redirect.get("domain"):
        found.add(str(redirect["domain"]).lower().rstrip("."))
        _includes(redirect.get("parsed"), found)
    return found


def _with_include(record: str, include: str) -> str:
    """The same SPF record with one more include, placed before its `all` or redirect."""
    terms = record.split()
    at = next(
        (i for i, t in enumerate(terms) if t.lstrip("+-~?").lower() == "all" or t.startswith("redirect=")),
        len(terms),
    )
    return " ".join(terms[:at] + [f"include:{include}"] + terms[at:])


def check_spf_item(domain: str, provider: Provider | None, smtp_host: str, nameservers, timeout) -> dict:
    from checkdmarc.spf import check_spf  # 0.4 s to import: only where checks run, not in web processes

    wanted = list(provider.spf_includes) if provider else []
    result = check_spf(domain, nameservers=nameservers, timeout=timeout)
    record = result.get("record") or ""
    item = {"status": OK, "record": record, "includes": [], "provider_includes": wanted, "fix": None}
    error = str(result.get("error") or "")
    if not record:
        if error and not any(marker in error for marker in _NO_RECORD):
            return {
                **item,
                "status": UNKNOWN,
                "detail": N_("DNS lookup failed: {error}").format(error=short(error, 280)),
                "advice": N_("We could not read the domain's SPF record. Run the test again."),
            }
        value = f"v=spf1 include:{wanted[0]} ~all" if wanted else f"v=spf1 a:{smtp_host} mx ~all"
        return {
            **item,
            "status": MISSING,
            "detail": N_(
                "No SPF record: receiving servers cannot tell which servers may send for this domain."
            ),
            "advice": N_("Add this TXT record at the domain's DNS host.")
            if wanted
            else N_(
                "Add this TXT record at the domain's DNS host. Ask your provider for the exact include; "
                "this one names the server."
            ),
            "fix": _fix("TXT", domain, value),
        }
    if not result.get("valid"):
        return {
            **item,
            "status": INVALID,
            "detail": N_("The SPF record is not valid: {error}").format(error=short(error, 270)),
            "advice": N_(
                "Receivers treat a broken SPF record as a failure (permerror). Correct it; the "
                "error above names the problem (syntax, more than 10 DNS lookups, a loop...)."
            ),
        }
    includes = sorted(_includes(result.get("parsed"), set()))
    item["includes"] = includes
    missing = [host for host in wanted if host not in includes]
    if wanted and len(missing) == len(wanted):
        return {
            **item,
            "status": WARNING,
            "detail": N_(
                "The SPF record does not include {include}, so {provider} is not authorized to send "
                "for this domain."
            ).format(include=wanted[0], provider=provider.name),
            "advice": N_(
                "Replace the TXT record with this one (the same record, plus the provider's include)."
            ),
            "fix": _fix("TXT", domain, _with_include(record, wanted[0])),
        }
    if wanted:
        detail = N_("SPF record present and valid; it includes {includes}.").format(
            includes=", ".join(h for h in wanted if h in includes)
        )
    else:
        detail = N_("SPF record present and valid.")
    return {**item, "detail": detail, "advice": ""}


def check_dmarc_item(domain: str, nameservers, timeout) -> dict:
    from checkdmarc.dmarc import check_dmarc

    result = check_dmarc(domain, nameservers=nameservers, timeout=timeout)
    record = result.get("record") or ""
    error = str(result.get("error") or "")
    start = _fix("TXT", f"_dmarc.{domain}", _DMARC_START.format(domain=domain))
    if not record:
        if error and not any(marker in error for marker in _NO_RECORD):
            return {
                "status": UNKNOWN,
                "record": "",
                "policy": None,
                "fix": None,
                "detail": N_("DNS lookup failed: {error}").format(error=short(error, 280)),
                "advice": N_("We could not read the DMARC record. Run the test again."),
            }
        return {
            "status": MISSING,
            "record": "",
            "policy": None,
            "detail": N_("No DMARC record. Gmail and Yahoo require one from bulk senders."),
            "advice": N_(
                "Add this TXT record; p=none only asks for reports, so nothing is blocked. "
                "Create the reporting address, or change it to one you read."
            ),
            "fix": start,
        }
    if not result.get("valid"):
        return {
            "status": INVALID,
            "record": record,
            "policy": None,
            "detail": N_("The DMARC record is not valid: {error}").format(error=short(error, 270)),
            "advice": N_("Replace it with a valid record, for example this one."),
            "fix": start,
        }
    policy = str(((result.get("tags") or {}).get("p") or {}).get("value") or "none")
    if policy == "none":
        return {
            "status": WARNING,
            "record": record,
            "policy": policy,
            "detail": N_("DMARC record present with p=none: receivers report but do not act on failures."),
            "advice": N_(
                "This is enough to send. Once the reports show your mail passing, move to "
                "p=quarantine to protect the domain from spoofing."
            ),
            "fix": None,
        }
    return {
        "status": OK,
        "record": record,
        "policy": policy,
        "detail": N_("DMARC record present with p={policy}.").format(policy=policy),
        "advice": "",
        "fix": None,
    }


def _dkim_key(name: str, config: ProbeConfig, timeout: float) -> str | None:
    """The selector's TXT (CNAMEs followed); None when there is no key there."""
    try:
        records = dnsq.query(name, "TXT", config, timeout)
    except dnsq.DNSFailure as exc:
        if exc.kind == "nxdomain":
            return None
        raise
    for record in records:
        text = b"".join(record.strings).decode("utf-8", "replace")
        tags = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in text.split(";"))}
        if "p" in tags and (tags.get("v", "DKIM1") == "DKIM1"):
            return text if tags["p"] else None  # an empty p= is a revoked key
    return None


def check_dkim_item(domain: str, provider: Provider | None, signatures: list, config, timeout) -> dict:
    signed = [s["selector"] for s in signatures if s.get("domain") == domain]
    selectors = list(dict.fromkeys(signed + (list(provider.dkim_selectors) if provider else [])))
    checked = []
    failed = 0
    for selector in selectors[:8]:
        name = f"{selector}._domainkey.{domain}"
        try:
            key = _dkim_key(name, config, timeout)
        except dnsq.DNSFailure:
            failed += 1
            key = None
        source = "signature" if selector in signed else "directory"
        checked.append(
            {
                "selector": selector,
                "name": name,
                "found": key is not None,
                "source": source,
                "record": short(key, 80) if key else "",
            }
        )
    found = [c for c in checked if c["found"]]
    where = DKIM_WHERE.get(provider.id, "") if provider else ""
    item = {"selectors": checked, "fix": None}
    if found:
        names = ", ".join(c["selector"] for c in found)
        detail = N_("DKIM key published for selector {selectors}.").format(selectors=names)
        return {**item, "status": OK, "detail": detail, "advice": ""}
    if not selectors:
        return {
            **item,
            "status": UNKNOWN,
            "detail": N_("No known DKIM selector to look up for this provider."),
            "advice": N_(
                "DNS cannot list DKIM keys: we look up the provider's known selectors and the one "
                "named by the DKIM-Signature of the delivery test's message, when it carries one."
            ),
        }
    if failed == len(checked):
        return {
            **item,
            "status": UNKNOWN,
            "detail": N_("The DKIM lookups failed."),
            "advice": N_("Run the test again."),
        }
    first = checked[0]
    return {
        **item,
        "status": MISSING,
        "detail": N_("No DKIM key at {names}.").format(names=", ".join(c["name"] for c in checked)),
        # `where` is the provider's own menu path, in the provider's words.
        "advice": N_(
            "Switch DKIM signing on at your provider ({where}), then publish the record it shows."
        ).format(where=where)
        if where
        else N_("Switch DKIM signing on at your provider, then publish the record it shows."),
        "fix": _fix(
            "CNAME" if provider and provider.id == "microsoft" else "TXT",
            first["name"],
            N_("the value your provider shows when you switch DKIM on"),
        ),
    }


def check_mx_item(domain: str, provider: Provider | None, config, timeout) -> dict:
    try:
        hosts = dnsq.mx_hosts(domain, config, timeout)
    except dnsq.DNSFailure as exc:
        if exc.kind != "nxdomain":
            return {"status": UNKNOWN, "hosts": [], "detail": exc.detail, "advice": "", "fix": None}
        hosts = []
    if hosts and hosts != ["."]:
        return {
            "status": OK,
            "hosts": hosts,
            "detail": N_("MX: {hosts}.").format(hosts=", ".join(hosts[:4])),
            "advice": "",
            "fix": None,
        }
    value = {"google": "1 smtp.google.com"}.get(provider.id if provider else "", "")
    return {
        "status": MISSING,
        "hosts": [],
        "detail": N_("No MX record: replies to this address cannot be delivered."),
        "advice": N_("Add your provider's MX record so that replies reach this mailbox."),
        "fix": _fix("MX", domain, value or N_("your provider's mail server (priority and host name)")),
    }


def check_domain(
    domain: str, provider: Provider | None, config: ProbeConfig, smtp_host: str = "", signatures=()
) -> dict:
    """{"spf", "dmarc", "dkim", "mx"} for the sender domain; never raises."""
    domain = domain.strip().lower().rstrip(".")
    if not config.nameservers and dnsq.is_reserved(domain):
        skipped = {
            "status": UNKNOWN,
            "detail": N_("{domain} is a reserved name: not looked up.").format(domain=domain),
            "advice": "",
            "fix": None,
        }
        return {name: dict(skipped) for name in ("spf", "dmarc", "dkim", "mx")}
    timeout = max(0.5, min(config.timeout, DNS_TIMEOUT))
    nameservers = _nameservers(config, timeout)
    # checkdmarc caches answers for 30 minutes per process: a person who just fixed a
    # record and tests again must see the new one.
    with contextlib.suppress(Exception):
        import checkdmarc.utils

        checkdmarc.utils.DNS_CACHE.clear()
    out: dict = {}
    jobs = {
        "spf": lambda: check_spf_item(domain, provider, smtp_host, nameservers, timeout),
        "dmarc": lambda: check_dmarc_item(domain, nameservers, timeout),
        "dkim": lambda: check_dkim_item(domain, provider, list(signatures), config, timeout),
        "mx": lambda: check_mx_item(domain, provider, config, timeout),
    }

    def run(name: str) -> None:
        try:
            out[name] = jobs[name]()
        except Exception as exc:  # a library surprise must not lose the other checks
            out[name] = {
                "status": UNKNOWN,
                "detail": short(f"{type(exc).__name__}: {exc}", 200),
                "advice": N_("Run the test again."),
                "fix": None,
            }

    threads = [threading.Thread(target=run, args=(name,), daemon=True) for name in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 12)
    for name in jobs:
        out.setdefault(
            name,
            {"status": UNKNOWN, "detail": N_("The DNS checks took too long."), "advice": "", "fix": None},
        )
    return {name: out[name] for name in jobs}


def recheck_dkim(domain_result: dict, domain: str, provider, config, signatures) -> dict:
    """After the round trip: look up the selector its DKIM-Signature named, if new."""
    known = {c["selector"] for c in (domain_result.get("dkim") or {}).get("selectors", [])}
    if not any(s.get("domain") == domain and s["selector"] not in known for s in signatures):
        return domain_result
    if not config.nameservers and dnsq.is_reserved(domain):
        return domain_result
    timeout = max(0.5, min(config.timeout, DNS_TIMEOUT))
    try:
        dkim = check_dkim_item(domain, provider, list(signatures), config, timeout)
    except Exception:  # keep what we had
        return domain_result
    return {**domain_result, "dkim": dkim}
