"""Dovecot with `passdb { driver = oauth2 }`: IMAP XOAUTH2 and OAUTHBEARER for real.

The same isolated instance as tests/servers/imap.py, plus an oauth2 passdb (Dovecot
2.3 syntax) that validates each bearer token at the local authorization server's
RFC 7662 introspection endpoint (`introspection_mode = post`), and takes the
mailbox name from the token's `email`. Passwords still work for the same users.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from tests.servers.imap import Dovecot
from tests.servers.tls import TestPKI

OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""

OAUTH2_CONFIG = """\
introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = email
active_attribute = active
active_value = true
scope = {scope}
openid_configuration_url = {openid_configuration_url}
timeout_msecs = 5000
"""


class OAuthDovecot(Dovecot):
    """A Dovecot whose IMAP login also takes bearer tokens (XOAUTH2, OAUTHBEARER).

    `introspection_url` may carry the client's credentials
    (`http://id:secret@127.0.0.1:port/introspect`): Dovecot sends them as HTTP Basic.
    """

    def __init__(self, pki: TestPKI, introspection_url: str, metadata_url: str, scope: str) -> None:
        super().__init__(pki)
        self.introspection_url = introspection_url
        self.metadata_url = metadata_url
        self.scope = scope

    def _write_config(self) -> None:
        super()._write_config()
        text = self.config_file.read_text()
        text = text.replace(
            "auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer"
        )
        text = text.replace("passdb {\n", OAUTH2_PASSDB.format(root=self.root) + "passdb {\n", 1)
        self.config_file.write_text(text)
        extra = self.root / "dovecot-oauth2.conf.ext"
        extra.write_text(
            OAUTH2_CONFIG.format(
                url=self.introspection_url, scope=self.scope, openid_configuration_url=self.metadata_url
            )
        )
        extra.chmod(0o644)  # read by the auth process (user "dovecot")

    def add_mailbox(self, email: str, folders: Iterable[str] = ("Sent", "Drafts")) -> str:
        """A mailbox reached with a token: home and folders, and an unguessable password."""
        return self.add_user(email, secrets.token_urlsafe(16), folders=folders)
