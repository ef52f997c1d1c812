"""Guarded HTTP(S) GET for autoconfig files and the ISPDB.

Every hop (the first request and each redirect) resolves the host, checks every
address against the private-network guard and connects to the checked address;
TLS verifies the original host name. Bodies are capped, redirects are limited and
loops detected, and one wall-clock budget covers the whole fetch.
"""

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .. import guard
from ..errors import ProbeError
from ..steps import Deadline, ProbeConfig
from ..transport import tls_context
from . import dnsq

REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "EmailAccountCenter-autodetect/1"


class FetchError(Exception):
    """reason: bad_url, dns, blocked, connect, tls, timeout, http_status, too_large,
    redirect_loop, too_many_redirects, insecure_redirect, redirect_port, bad_response."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str


class _GuardedConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, config: ProbeConfig, deadline: Deadline, tls: ssl.SSLContext | None):
        super().__init__(host, port, timeout=max(0.05, deadline.remaining()))
        self.config = config
        self.deadline = deadline
        self.tls = tls
        self.default_port = 443 if tls else 80  # so the Host header omits a default port

    def connect(self):
        name = guard.normalize_host(self.host)
        dnsq.refuse_reserved(name, self.config)
        timeout = max(0.05, self.deadline.remaining())
        addresses = guard.resolve(name, self.config, timeout)
        guard.check(name, addresses, self.config)
        sock, _ip = guard.open_connection(name, addresses, self.port, timeout)
        self.deadline.watch(sock)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=name)
            self.deadline.watch(sock)
        self.sock = sock


def _split(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("bad_url", f"{url} is not an http(s) URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("bad_url", f"{url} has an invalid port.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def _one(url: str, config: ProbeConfig, deadline: Deadline, max_bytes: int):
    """One request: (status, location, body, content type)."""
    scheme, host, port, path = _split(url)
    tls = tls_context(config) if scheme == "https" else None
    conn = _GuardedConnection(host, port, config=config, deadline=deadline, tls=tls)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "application/xml, text/xml"})
        response = conn.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location") or "", b"", ""
        if response.status != 200:
            return response.status, "", b"", ""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchError("too_large", f"{url} announced {int(length)} bytes; the limit is {max_bytes}.")
        body = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise FetchError("too_large", f"{url} sent more than {max_bytes} bytes.")
        return 200, "", body, response.getheader("Content-Type") or ""
    finally:
        conn.close()


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def fetch(
    url: str,
    config: ProbeConfig,
    timeout: float,
    max_bytes: int = 1_000_000,
    max_redirects: int = 3,
    web_ports: tuple[int, ...] = (80, 443),
):
    """GET url, following up to max_redirects redirects, each to a web port only;
    raises FetchError."""
    deadline = Deadline(max(0.05, timeout))
    seen = [url]
    try:
        for _hop in range(max_redirects + 1):
            try:
                status, location, body, content_type = _one(url, config, deadline, max_bytes)
            except FetchError:
                raise
            except ProbeError as exc:
                reason = "blocked" if exc.code == "blocked_host" else "dns"
                raise FetchError(reason, exc.detail) from None
            except dnsq.DNSFailure as exc:
                raise FetchError("dns", exc.detail) from None
            except ssl.SSLError as exc:
                if deadline.fired:
                    raise FetchError("timeout", f"{url} did not answer in time.") from None
                raise FetchError(
                    "tls", f"TLS with {urlsplit(url).hostname} failed: {exc.reason or exc}."
                ) from None
            except TimeoutError:
                raise FetchError("timeout", f"{url} did not answer in time.") from None
            except ConnectionRefusedError:
                raise FetchError("connect", f"{urlsplit(url).hostname} refused the connection.") from None
            except (OSError, http.client.HTTPException) as exc:
                if deadline.fired:
                    raise FetchError("timeout", f"{url} did not answer in time.") from None
                raise FetchError("bad_response", f"{url}: {exc.__class__.__name__} {exc}".strip()) from None
            if status == 200:
                return Fetched(url, body, content_type)
            if status not in REDIRECTS:
                raise FetchError("http_status", f"{url} answered HTTP {status}.")
            target = urljoin(url, location)
            if not location:
                raise FetchError("bad_response", f"{url} redirected without a Location.")
            if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                raise FetchError("insecure_redirect", f"{url} redirected from https to {target}.")
            if _port(target) not in web_ports:
                raise FetchError(
                    "redirect_port",
                    f"{url} redirected to port {_port(target)}; only the web ports "
                    f"({', '.join(map(str, web_ports))}) are followed.",
                )
            if target in seen:
                raise FetchError("redirect_loop", f"{url} redirects in a loop.")
            seen.append(target)
            url = target
        raise FetchError("too_many_redirects", f"More than {max_redirects} redirects from {seen[0]}.")
    finally:
        deadline.cancel()
