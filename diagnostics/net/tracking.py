"""A custom open/click tracking domain: does its CNAME point at our tracking host?

A proxied or "flattened" CNAME (Cloudflare and others) answers with addresses rather
than the CNAME, so it cannot be confirmed from DNS: that is reported as such, not as
wrong. Certificates are the deployment's business; we say what HTTPS needs.
"""

from . import errors, guard
from .autodetect import dnsq
from .errors import ProbeError
from .steps import ProbeConfig
from .words import N_

OK, WRONG, MISSING, PROXIED, UNKNOWN, UNCONFIGURED = (
    "ok",
    "wrong",
    "missing",
    "proxied",
    "unknown",
    "unconfigured",
)
MAX_CHAIN = 5


def normalize(host: str) -> str:
    """A tracking host name as typed (URL or name), lower-case ASCII; invalid_input otherwise."""
    text = (host or "").strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split("/", 1)[0]
    name = guard.normalize_host(text)
    if guard.parse_ip(name) is not None or "." not in name:
        raise ProbeError(errors.INVALID_INPUT, N_("Enter a host name such as track.example.com."))
    return name


def _https(host: str, target: str) -> str:
    return N_(
        "Tracking links use https://{host}/. Browsers need a TLS certificate for {name} on the "
        "tracking server ({target}): the deployment obtains it (for example from Let's Encrypt once "
        "this CNAME resolves). Until then links fall back to the default tracking host."
    ).format(host=host, name=host, target=target)  # a field appears once: say() matches it back


def check_tracking(host: str, target: str, config: ProbeConfig) -> dict:
    """{"status", "host", "target", "found", "detail", "fix", "https"}; never raises."""
    target = (target or "").strip().lower().rstrip(".")
    out = {"host": host, "target": target, "found": "", "fix": None, "https": ""}
    if not target:
        return {
            **out,
            "status": UNCONFIGURED,
            "detail": N_(
                "Custom tracking domains are not set up on this installation (TRACKING_CNAME_TARGET)."
            ),
        }
    fix = {"type": "CNAME", "name": host, "value": f"{target}."}
    timeout = max(0.5, min(config.timeout, 4.0))
    name, seen = host, []
    try:
        for _ in range(MAX_CHAIN):
            try:
                records = dnsq.query(name, "CNAME", config, timeout)
            except dnsq.DNSFailure:
                if not seen:
                    raise
                break  # the chain ends somewhere else: what the first hop says decides
            if not records:
                break
            name = str(records[0].target).lower().rstrip(".")
            seen.append(name)
            if name == target:
                return {
                    **out,
                    "status": OK,
                    "found": seen[0],
                    "https": _https(host, target),
                    "detail": N_("{host} points at {target}.").format(host=host, target=target),
                }
        if seen:
            return {
                **out,
                "status": WRONG,
                "found": seen[0],
                "fix": fix,
                "detail": N_("{host} points at {found}, not at {target}. Change the CNAME's value.").format(
                    host=host, found=seen[0], target=target
                ),
            }
        addresses = dnsq.query(host, "A", config, timeout)
    except dnsq.DNSFailure as exc:
        if exc.kind == "nxdomain":
            return {
                **out,
                "status": MISSING,
                "fix": fix,
                "detail": N_("{host} does not exist yet. Create this CNAME record at your DNS host.").format(
                    host=host
                ),
            }
        return {**out, "status": UNKNOWN, "detail": exc.detail, "fix": fix}
    if addresses:
        return {
            **out,
            "status": PROXIED,
            "fix": fix,
            "found": ", ".join(str(a) for a in addresses[:3]),
            "detail": N_(
                "{host} answers with addresses, not a CNAME: a proxied or flattened record "
                "cannot be confirmed. Turn proxying off for it (DNS only) or use the CNAME below."
            ).format(host=host),
        }
    return {
        **out,
        "status": MISSING,
        "fix": fix,
        "detail": N_("{host} has no CNAME record. Create this record at your DNS host.").format(host=host),
    }
