"""Loopback servers for the browser benchmarks: aiosmtpd (STARTTLS) and the test DNS
server in a child process of their own, Dovecot in its own processes.

In the benchmark's process the SMTP and DNS servers would share its interpreter lock
with the standard-library floor they are timed against, and with Playwright's client.

    python bench/loopback.py SPEC_JSON   # prints {"smtp": port, "dns": port}; serves until stdin closes
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers.imap import start_dovecot  # noqa: E402
from tests.servers.tls import TestPKI  # noqa: E402


class Loopback:
    """Dovecot (IMAPS on `imap_port`), SMTP with STARTTLS on `smtp_port`, DNS on `dns`,
    all trusting one throw-away CA (`ca_file`). Every user gets `password` and a Sent folder.

    A subclass starts other servers by naming its child script (SCRIPT), its Dovecot, the
    folders, what the child is told and what it answers."""

    SCRIPT = __file__
    FOLDERS = ("Sent",)

    def __init__(self, users: list[str], password: str, dns_records: list | None = None):
        self.pki = TestPKI()
        self.ca_file = self.pki.ca_file
        self.dovecot = None
        self.child = None
        try:
            self.dovecot = self._start_dovecot()
            for user in users:
                self.dovecot.add_user(user, password, folders=list(self.FOLDERS))
            spec = {
                "cert": self.pki.cert_file,
                "key": self.pki.key_file,
                "users": {user: password for user in users},
                **self._spec(dns_records),
            }
            self.child = subprocess.Popen(
                [sys.executable, self.SCRIPT, json.dumps(spec)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            ports = json.loads(self.child.stdout.readline())
        except BaseException:
            self.stop()
            raise
        self.imap_port = self.dovecot.port_ssl
        self._take(ports)

    def _start_dovecot(self):
        return start_dovecot(self.pki)

    def _spec(self, dns_records: list | None) -> dict:
        return {"records": dns_records or []}

    def _take(self, ports: dict) -> None:
        self.smtp_port, self.dns_port = ports["smtp"], ports["dns"]
        self.nameservers = f"127.0.0.1:{self.dns_port}"

    def app_env(self) -> dict:
        """What the web and worker processes need to reach these servers."""
        return {"SSL_CERT_FILE": self.ca_file, "DNS_NAMESERVERS": self.nameservers}

    def stop(self) -> None:
        if self.child is not None:
            self.child.stdin.close()
            try:
                self.child.wait(10)
            except subprocess.TimeoutExpired:
                self.child.kill()
            self.child = None
        if self.dovecot is not None:
            self.dovecot.stop()
            self.dovecot = None
        self.pki.cleanup()

    def __enter__(self) -> "Loopback":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _serve(spec: dict) -> None:
    from tests.servers.dns import LocalDNS
    from tests.servers.smtp import start_smtp

    pki = TestPKI.__new__(TestPKI)  # the parent's CA and leaf, not new ones
    pki.cert_file, pki.key_file = spec["cert"], spec["key"]
    smtp = start_smtp(pki, security="starttls", users=spec["users"])
    dns = LocalDNS()
    for name, rtype, values in spec["records"]:
        dns.add(name, rtype, [tuple(v) if isinstance(v, list) else v for v in values])
    print(json.dumps({"smtp": smtp.port, "dns": dns.port}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes it (or dies)
    finally:
        dns.stop()
        smtp.stop()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
