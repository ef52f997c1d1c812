"""A real delivery path for round-trip tests: aiosmtpd submission (with AUTH) that
delivers into Dovecot over LMTP, like a provider's own servers.

* ``DeliveryDovecot``: the Dovecot of tests/servers/imap.py plus an LMTP listener,
  Sieve (a global script files messages marked ``X-Spam-Flag: YES`` into Junk, as a
  spam filter would) and ``lmtp_save_to_detail_mailbox`` (``user+Sent@domain`` lands in
  Sent: how the Gmail-like variant files its own copy). ``capabilities=...`` replaces
  the IMAP CAPABILITY list after login (a server without IDLE, UIDPLUS or MOVE).
* ``start_delivering_smtp``: the aiosmtpd test server whose DATA hands the message to
  that LMTP listener, with variants: files a copy in Sent, does not, marks it as spam,
  swallows it, refuses the sender, adds Authentication-Results (and a DKIM-Signature
  naming a selector), delivers after a delay.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

import pytest

from .imap import HOST, Dovecot, _free_port
from .smtp import DEFAULT_USERS, SMTPServer, _Handler
from .tls import TestPKI

# Dovecot 2.3's list after login, minus the given names.
DOVECOT_CAPABILITIES = [
    "IMAP4rev1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "SORT",
    "SORT=DISPLAY",
    "THREAD=REFERENCES",
    "THREAD=REFS",
    "THREAD=ORDEREDSUBJECT",
    "MULTIAPPEND",
    "URL-PARTIAL",
    "CATENATE",
    "UNSELECT",
    "CHILDREN",
    "NAMESPACE",
    "UIDPLUS",
    "LIST-EXTENDED",
    "I18NLEVEL=1",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "ESORT",
    "SEARCHRES",
    "WITHIN",
    "CONTEXT=SEARCH",
    "LIST-STATUS",
    "BINARY",
    "MOVE",
    "SNIPPET=FUZZY",
    "PREVIEW=FUZZY",
    "PREVIEW",
    "STATUS=SIZE",
    "SAVEDATE",
    "LITERAL+",
    "NOTIFY",
    "SPECIAL-USE",
]

SPAM_SIEVE = """\
require ["fileinto"];
if header :is "X-Spam-Flag" "YES" {
  fileinto "Junk";
  stop;
}
"""

DELIVERY_CONFIG = """
lmtp_save_to_detail_mailbox = yes
recipient_delimiter = +
lda_mailbox_autocreate = yes
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {port_lmtp}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
plugin {{
  sieve_before = {root}/spam.sieve
}}
{capability}
"""


def require_delivery() -> None:
    """Skip (fail on CI) without Dovecot's LMTP server and Sieve compiler."""
    if os.path.exists("/usr/lib/dovecot/lmtp") and shutil.which("sievec"):
        return
    message = "Dovecot LMTP and Sieve are not installed (apt-get install dovecot-lmtpd dovecot-sieve)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def capabilities_without(*names: str) -> list[str]:
    return [c for c in DOVECOT_CAPABILITIES if c not in names]


class DeliveryDovecot(Dovecot):
    """Dovecot that also accepts mail over LMTP on ``port_lmtp``."""

    def __init__(self, pki: TestPKI, capabilities: list[str] | None = None) -> None:
        require_delivery()
        super().__init__(pki)
        self.capabilities = capabilities
        self.port_lmtp = 0

    def _write_config(self) -> None:
        super()._write_config()
        self.port_lmtp = _free_port()
        text = self.config_file.read_text().replace("protocols = imap\n", "protocols = imap lmtp\n")
        capability = f"imap_capability = {' '.join(self.capabilities)}" if self.capabilities else ""
        text += DELIVERY_CONFIG.format(
            host=HOST, port_lmtp=self.port_lmtp, root=self.root, capability=capability
        )
        self.config_file.write_text(text)
        script = self.root / "spam.sieve"
        script.write_text(SPAM_SIEVE)
        # Compiled here (as root) so that the mail processes, running as nobody, need not write.
        subprocess.run(["sievec", "-c", str(self.config_file), str(script)], check=True, capture_output=True)
        for path in (script, self.root / "spam.svbin"):
            path.chmod(0o644)

    def _wait_until_ready(self) -> None:
        super()._wait_until_ready()
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection((HOST, self.port_lmtp), timeout=2) as sock:
                    if sock.recv(200).startswith(b"220"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot's LMTP did not start:\n{self.log[-3000:]}")
            time.sleep(0.05)

    def deliver(self, mail_from: str, recipient: str, data: bytes) -> None:
        with smtplib.LMTP(HOST, self.port_lmtp, timeout=10) as lmtp:
            lmtp.sendmail(mail_from, [recipient], data)


@dataclass
class Variant:
    """How the submission server treats a message."""

    sent_copy: bool = False  # file a copy in the sender's Sent folder (Gmail, Microsoft)
    spam: bool = False  # mark it as spam: Sieve files it into Junk
    swallow: bool = False  # accept it and deliver nothing
    refuse_sender: str = ""  # the MAIL FROM reply, e.g. "553 5.7.1 ... not owned by user"
    headers: list[str] = field(default_factory=list)  # prepended, e.g. Authentication-Results
    delay: float = 0.0  # seconds before delivery (after DATA was accepted)


def _with_detail(address: str, detail: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local}+{detail}@{domain}"


class _DeliveringHandler(_Handler):
    def __init__(self, server: SMTPServer, mechanisms, dovecot: DeliveryDovecot, variant: Variant) -> None:
        super().__init__(server, mechanisms)
        self.dovecot = dovecot
        self.variant = variant
        self.deliveries: list[threading.Thread] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.variant.refuse_sender:
            return self.variant.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.variant.swallow:
            return reply
        data = envelope.original_content or b""
        extra = "".join(f"{h}\r\n" for h in self.variant.headers)
        if self.variant.spam:
            extra += "X-Spam-Flag: YES\r\n"
        data = extra.encode() + data
        sender = envelope.mail_from
        jobs = [(r, data) for r in envelope.rcpt_tos]
        if self.variant.sent_copy:
            jobs.append((_with_detail(sender, "Sent"), envelope.original_content or b""))

        def deliver() -> None:
            for recipient, payload in jobs:
                self.dovecot.deliver(sender, recipient, payload)

        if self.variant.delay:
            timer = threading.Timer(self.variant.delay, deliver)
            timer.daemon = True
            timer.start()
        else:
            await server.loop.run_in_executor(None, deliver)
        return reply


class DeliveringSMTP(SMTPServer):
    def __init__(self, *args, dovecot: DeliveryDovecot, variant: Variant, mechanisms, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._handler = _DeliveringHandler(self, mechanisms, dovecot, variant)
        self._smtp_kwargs["authenticator"] = self._handler.authenticate


def start_delivering_smtp(
    pki: TestPKI, dovecot: DeliveryDovecot, variant: Variant, users: dict[str, str] | None = None
) -> DeliveringSMTP:
    """A STARTTLS submission server with AUTH PLAIN/LOGIN that delivers into ``dovecot``."""
    mechanisms = ("PLAIN", "LOGIN")
    server = DeliveringSMTP(
        pki.server_context(None),
        "starttls",
        dict(DEFAULT_USERS if users is None else users),
        True,
        mechanisms,
        None,
        {},
        dovecot=dovecot,
        variant=variant,
        mechanisms=mechanisms,
    )
    return server.start()
