"""Loopback servers for the end-to-end benchmark with the round trip on (`make run`'s
default): Dovecot with LMTP (tests/servers/delivery.py) in its own processes, and in a
child process of their own two STARTTLS submission servers and the test DNS server:
one SMTP server delivers into Dovecot over LMTP, the other accepts and never delivers.

    python bench/delivery_loopback.py SPEC_JSON   # prints {"delivers", "never", "dns"}; serves until stdin closes
"""

import json
import smtplib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loopback import Loopback  # noqa: E402
from tests.servers.delivery import DeliveryDovecot  # noqa: E402
from tests.servers.tls import TestPKI  # noqa: E402

SERVERS = ("delivers", "never")


class DeliveryLoopback(Loopback):
    """Dovecot (IMAPS on `imap_port`, LMTP), the two SMTP servers (`smtp_ports`), DNS,
    all trusting one throw-away CA (`ca_file`). Every user gets `password`, Sent and Junk.
    Starting, stopping and the app's environment are Loopback's."""

    SCRIPT = __file__
    FOLDERS = ("Sent", "Junk", "Trash")

    def _start_dovecot(self):
        return DeliveryDovecot(self.pki).start()

    def _spec(self, dns_records: list | None) -> dict:
        return {"lmtp": self.dovecot.port_lmtp}

    def _take(self, ports: dict) -> None:
        self.smtp_ports = {name: ports[name] for name in SERVERS}
        self.nameservers = f"127.0.0.1:{ports['dns']}"


class _LMTP:
    """What the delivering SMTP server needs of DeliveryDovecot, in this process."""

    def __init__(self, port: int):
        self.port = port

    def deliver(self, mail_from: str, recipient: str, data: bytes) -> None:
        with smtplib.LMTP("127.0.0.1", self.port, timeout=10) as lmtp:
            lmtp.sendmail(mail_from, [recipient], data)


def _serve(spec: dict) -> None:
    from tests.servers.delivery import Variant, start_delivering_smtp
    from tests.servers.dns import LocalDNS

    pki = TestPKI.__new__(TestPKI)  # the parent's CA and leaf, not new ones
    pki.cert_file, pki.key_file = spec["cert"], spec["key"]
    lmtp = _LMTP(spec["lmtp"])
    delivers = start_delivering_smtp(pki, lmtp, Variant(), users=spec["users"])
    never = start_delivering_smtp(pki, lmtp, Variant(swallow=True), users=spec["users"])
    dns = LocalDNS()
    print(json.dumps({"delivers": delivers.port, "never": never.port, "dns": dns.port}), flush=True)
    try:
        sys.stdin.read()  # until the parent closes it (or dies)
    finally:
        dns.stop()
        never.stop()
        delivers.stop()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
