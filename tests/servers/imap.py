"""A real Dovecot IMAP server as a child process, isolated in a temp directory.

Nothing under /etc/dovecot is read: ``dovecot -F -c OUR_CONFIG`` with its own
base_dir/state_dir/log_path. Mail runs as nobody/nogroup because Dovecot refuses
root for mail processes; the temp dir is 0755 so they can traverse it.

Endpoints (all 127.0.0.1):
* ``port_starttls``: plain IMAP, STARTTLS offered, plaintext LOGIN allowed.
* ``port_ssl``: implicit TLS (IMAPS).
* ``port_logindisabled``: a relay to ``port_starttls`` connecting from
  127.0.0.2. Dovecot treats a client whose IP equals the server IP as
  "secured" and never shows LOGINDISABLED to it, whatever
  disable_plaintext_auth says; a ``remote 127.0.0.2`` block sets
  disable_plaintext_auth = yes for relayed clients only.
"""

from __future__ import annotations

import base64
import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from .raw import RawServer, forward_to
from .tls import TestPKI

HOST = "127.0.0.1"
RELAY_SOURCE_IP = "127.0.0.2"
INSTALL_HINT = "Dovecot is not installed (apt-get install dovecot-imapd)"
SPECIAL_USE = {
    "Sent": r"\Sent",
    "Drafts": r"\Drafts",
    "Trash": r"\Trash",
    "Junk": r"\Junk",
    "Archive": r"\Archive",
}
START_TIMEOUT = 10.0

CONFIG_TEMPLATE = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{cert_file}
ssl_key = <{key_file}
{ssl_dh}
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests check wrong passwords: no 2 s failure delay and no per-IP penalty
# (auth failures are still batched every 0.5 s by Dovecot itself).
auth_failure_delay = 0
auth_verbose = yes
mail_max_userip_connections = 1000
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  # One file per user: Dovecot re-stats a passwd file at most once a second,
  # but a file it never looked at is read fresh. See Dovecot._write_passwd().
  args = scheme=PLAIN username_format=%u {root}/passwd.d/%u
}}
userdb {{
  driver = static
  # allow_all_users lets doveadm look users up without a passdb.
  args = uid={uid} gid={gid} home={root}/mail/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port_starttls}
  }}
  inet_listener imaps {{
    address = {host}
    port = {port_ssl}
    ssl = yes
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
remote {relay_ip} {{
  disable_plaintext_auth = yes
}}
"""


def find_binary(name: str) -> str | None:
    # /usr/sbin is often missing from PATH for non-root users.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def require_dovecot() -> tuple[str, str]:
    """Paths of dovecot and doveadm; skip the test if missing (fail on CI)."""
    dovecot, doveadm = find_binary("dovecot"), find_binary("doveadm")
    if dovecot and doveadm:
        return dovecot, doveadm
    if os.environ.get("CI") == "true":
        pytest.fail(INSTALL_HINT + "; CI must not skip the IMAP tests", pytrace=False)
    pytest.skip(INSTALL_HINT)


def _free_port() -> int:
    # Dovecot needs numbers in its config, so ask the kernel for a free one.
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _watchdog(pgid: int) -> subprocess.Popen:
    """Kill Dovecot's process group once this Python process is gone.

    If pytest dies without teardown (SIGKILL, CI timeout), the pipe to the
    watchdog's stdin closes, ``read`` returns and the group is terminated.
    (PR_SET_PDEATHSIG does not work: Dovecot's master changes credentials,
    which clears it.)
    """
    return subprocess.Popen(
        ["/bin/sh", "-c", f"read _; kill -TERM -{pgid} 2>/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outside Dovecot's group and pytest's signals
    )


def _mail_ids() -> tuple[int, int]:
    uid = pwd.getpwnam("nobody").pw_uid
    for group in ("nogroup", "nobody"):
        try:
            return uid, grp.getgrnam(group).gr_gid
        except KeyError:
            continue
    return uid, pwd.getpwnam("nobody").pw_gid


class Dovecot:
    """One Dovecot instance; call start() (or use it as a context manager)."""

    host = HOST

    def __init__(self, pki: TestPKI) -> None:
        self.dovecot_bin, self.doveadm_bin = require_dovecot()
        self.pki = pki
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        self.root.chmod(0o755)  # auth runs as "dovecot", mail as nobody
        self.config_file = self.root / "dovecot.conf"
        self.passwd_dir = self.root / "passwd.d"
        self.log_file = self.root / "dovecot.log"
        self.uid, self.gid = _mail_ids()
        self.port_starttls = self.port_ssl = self.port_logindisabled = 0
        self._counter = itertools.count(1)
        self._process: subprocess.Popen | None = None
        self._watchdog: subprocess.Popen | None = None
        self._relay: RawServer | None = None
        mail_dir = self.root / "mail"
        mail_dir.mkdir()
        os.chown(mail_dir, self.uid, self.gid)
        self.passwd_dir.mkdir()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Dovecot:
        for attempt in range(3):
            self.port_starttls, self.port_ssl = _free_port(), _free_port()
            self._write_config()
            self._process = subprocess.Popen(
                [self.dovecot_bin, "-F", "-c", str(self.config_file)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() kills all children
            )
            self._watchdog = _watchdog(self._process.pid)
            try:
                self._wait_until_ready()
                break
            except RuntimeError:
                self._kill()
                # Another process may have taken a port between bind and start.
                if attempt == 2 or "Address already in use" not in self.log:
                    raise
        self._relay = RawServer(forward_to(self.port_starttls, source_ip=RELAY_SOURCE_IP))
        self.port_logindisabled = self._relay.port
        return self

    def stop(self) -> None:
        if self._relay is not None:
            self._relay.stop()
            self._relay = None
        self._kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Dovecot starttls={self.port_starttls} ssl={self.port_ssl} root={self.root}>"

    @property
    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- users and folders -------------------------------------------------

    def unique_username(self, prefix: str = "user") -> str:
        """A fresh address for this session, e.g. ``user-3@example.test``."""
        return f"{prefix}-{next(self._counter)}@example.test"

    def add_user(self, username: str, password: str, folders: Iterable[str] = ()) -> str:
        """Create or update a user; works while Dovecot runs. Returns the
        username as Dovecot sees it (lowercased).

        ``folders`` are UTF-8 names ("Sent", "Gesendete Elemente", "已发送",
        "Archive/2024"); doveadm stores them as modified UTF-7 on disk.
        """
        if any(ch in username for ch in ":/%\n\r\0") or not username or username.startswith("."):
            raise ValueError(f"unusable IMAP username {username!r}")
        username = username.lower()  # Dovecot lowercases logins (auth_username_format = %Lu)
        home = self.root / "mail" / username
        home.mkdir(exist_ok=True)
        os.chown(home, self.uid, self.gid)
        self._write_passwd(username, password)
        if folders:
            self.create_folders(username, folders)
        return username

    def create_folders(self, username: str, folders: Iterable[str]) -> None:
        """Create (and subscribe) folders; existing ones are left alone."""
        folders = list(folders)
        result = self.doveadm("mailbox", "create", "-s", "-u", username, "--", *folders, check=False)
        errors = [line for line in result.stderr.splitlines() if "exists" not in line]
        if result.returncode != 0 and errors:
            raise RuntimeError(f"doveadm mailbox create failed: {result.stderr}")

    def doveadm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run doveadm against this instance (e.g. ``doveadm("mailbox", "list", "-u", user)``)."""
        return subprocess.run(
            [self.doveadm_bin, "-c", str(self.config_file), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    # -- internals ---------------------------------------------------------

    def _write_config(self) -> None:
        mailboxes = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = no\n  }}"
            for name, flag in SPECIAL_USE.items()
        )
        dh_file = "/usr/share/dovecot/dh.pem"  # only needed for non-ECDHE ciphers
        self.config_file.write_text(
            CONFIG_TEMPLATE.format(
                root=self.root,
                host=HOST,
                cert_file=self.pki.cert_file,
                key_file=self.pki.key_file,
                ssl_dh=f"ssl_dh = <{dh_file}" if os.path.exists(dh_file) else "",
                uid=self.uid,
                gid=self.gid,
                port_starttls=self.port_starttls,
                port_ssl=self.port_ssl,
                mailboxes=mailboxes,
                relay_ip=RELAY_SOURCE_IP,
            )
        )

    def _write_passwd(self, username: str, password: str) -> None:
        # {PLAIN.B64} keeps any password (":", quotes, newlines, non-ASCII)
        # out of passwd-file's colon syntax; Dovecot compares UTF-8 bytes.
        path = self.passwd_dir / username
        changed = path.exists()
        encoded = base64.b64encode(password.encode("utf-8")).decode("ascii")
        tmp = self.passwd_dir / f".{username}.tmp"
        tmp.write_text(f"{username}:{{PLAIN.B64}}{encoded}\n")
        tmp.chmod(0o644)  # read by the auth process (user "dovecot")
        os.replace(tmp, path)
        if changed:
            self._wait_for_password(username, password)

    def _wait_for_password(self, username: str, password: str) -> None:
        # A file Dovecot already read is re-checked at most once per second:
        # poll until the auth server accepts the new password.
        deadline = time.monotonic() + 3
        while self.doveadm("auth", "test", "-x", "service=imap", username, password, check=False).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not pick up the new password of {username}")
            time.sleep(0.1)

    def _wait_until_ready(self) -> None:
        # A greeting on the plain port means login and auth processes are up;
        # a TCP connect on the TLS port means that listener is bound too.
        deadline = time.monotonic() + START_TIMEOUT
        pending = {self.port_starttls, self.port_ssl}
        while pending:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._process.returncode}:\n{self.log[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"dovecot did not accept connections in {START_TIMEOUT}s:\n{self.log[-3000:]}"
                )
            for port in list(pending):
                try:
                    with socket.create_connection((HOST, port), timeout=2) as sock:
                        if port == self.port_starttls and not sock.recv(200).startswith(b"* OK"):
                            continue
                    pending.discard(port)
                except OSError:
                    pass
            if pending:
                time.sleep(0.02)

    def _kill(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.kill()  # our own stop follows; it must not fire later
            watchdog.wait()
            watchdog.stdin.close()
        process, self._process = self._process, None
        if process is None:
            return
        # The whole group, not just the master: catches stray children even if
        # the master already died.
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue


def start_dovecot(pki: TestPKI) -> Dovecot:
    """Start a Dovecot (skips/fails the test when not installed)."""
    return Dovecot(pki).start()
