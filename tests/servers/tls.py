"""Test PKI: one throw-away CA per test session, built with trustme.

Every TLS server of the toolkit presents a leaf signed by this CA, so clients
verify certificates for real (``cafile=pki.ca_file`` or ``SSL_CERT_FILE``)
instead of switching verification off. Broken certificates for negative tests
are issued on demand and cached, because key generation is the slow part.
"""

from __future__ import annotations

import datetime
import shutil
import ssl
import tempfile
from pathlib import Path

import trustme

#: Names the default leaf is valid for; 127.0.0.1 becomes an IP SAN.
LEAF_IDENTITIES = ("localhost", "127.0.0.1", "mail.example.test")

CertFiles = tuple[str, str]


class TestPKI:
    """A CA plus a server leaf, written as PEM files into a private temp dir."""

    __test__ = False  # the name starts with "Test"; keep pytest from collecting it

    def __init__(self, directory: str | None = None) -> None:
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="test-pki-"))
        # Dovecot reads the files as root, but keep them world-readable so any
        # helper process (e.g. running as nobody) can use the CA bundle too.
        self.directory.chmod(0o755)
        self.ca = trustme.CA(organization_name="Email Account Center Test CA")
        self.ca_file = self._write("ca.pem", self.ca.cert_pem.bytes())
        self.cert_file, self.key_file = self._issue("server", self.ca, *LEAF_IDENTITIES)
        self._cache: dict[str, CertFiles] = {}

    def server_context(self, cert_files: CertFiles | None = None) -> ssl.SSLContext:
        """Server-side context presenting the leaf (or another cert/key pair)."""
        cert_file, key_file = cert_files or (self.cert_file, self.key_file)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=self.ca_file)

    def expired_cert_files(self) -> CertFiles:
        """Leaf for the usual names whose validity ended yesterday."""
        now = datetime.datetime.now(datetime.UTC)
        return self._cached(
            "expired",
            lambda: self._issue(
                "expired",
                self.ca,
                *LEAF_IDENTITIES,
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            ),
        )

    def wrong_host_cert_files(self) -> CertFiles:
        """Valid leaf from the trusted CA, but only for other.example.test."""
        return self._cached("wrong-host", lambda: self._issue("wrong-host", self.ca, "other.example.test"))

    def self_signed_cert_files(self) -> CertFiles:
        """Leaf for the usual names from a CA that is not in ``ca_file``."""
        return self._cached("untrusted", lambda: self._issue("untrusted", trustme.CA(), *LEAF_IDENTITIES))

    def cleanup(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _cached(self, key: str, make) -> CertFiles:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _issue(self, stem: str, ca: trustme.CA, *identities: str, **kwargs) -> CertFiles:
        leaf = ca.issue_cert(*identities, **kwargs)
        # Full chain in the cert file: that is what servers must send.
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        return (
            self._write(f"{stem}.crt", chain),
            self._write(f"{stem}.key", leaf.private_key_pem.bytes()),
        )

    def _write(self, name: str, data: bytes) -> str:
        path = self.directory / name
        path.write_bytes(data)
        return str(path)
