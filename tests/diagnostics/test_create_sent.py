"""Creating a Sent folder for a mailbox that has none: against Dovecot, and the exact
replies of a server without CREATE-SPECIAL-USE or one that refuses."""

import imaplib
import ssl

from diagnostics.net.credentials import Password
from diagnostics.net.imap_probe import probe_imap
from diagnostics.net.redaction import Redactor
from diagnostics.net.sent_create import new_name
from diagnostics.net.sent_folder import parse_list
from diagnostics.net.steps import StepRecorder
from diagnostics.net.transport import ServerSettings
from tests.diagnostics.net.fakes import FakeIMAP

PW = "create-sent-pw"


def imap(config, port, user, security="ssl", create=False):
    steps = []
    rec = StepRecorder("imap", steps.append, Redactor(PW, (user,)))
    sent, folders, error = probe_imap(
        ServerSettings("127.0.0.1", port, security, user), Password(PW), config, rec, create_sent=create
    )
    return error, sent, folders, rec, steps


def _create(config, port):
    return imap(config, port, "u@example.test", security="none", create=True)


def _flags_of(dovecot, pki, user: str) -> dict[str, str]:
    context = ssl.create_default_context(cafile=pki.ca_file)
    with imaplib.IMAP4_SSL("127.0.0.1", dovecot.port_ssl, ssl_context=context) as client:
        client.login(user, PW)
        typ, data = client._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
        listed = client._untagged_response(typ, data, "LIST")[1]
    return {f.name: " ".join(f.flags) for f in parse_list(listed)}


def test_it_creates_a_sent_folder_flagged_sent_that_the_next_test_finds(probe_config, dovecot, pki):
    user = dovecot.add_user(dovecot.unique_username("nosent"), PW, folders=["Drafts", "Archive"])
    error, sent, *_ = imap(probe_config, dovecot.port_ssl, user)
    assert error is not None and (error.code, error.reason) == ("no_sent_folder", "not_found")

    error, sent, folders, rec, steps = imap(probe_config, dovecot.port_ssl, user, create=True)
    assert error is None and sent == "Sent" and "Sent" in folders
    assert [s.detail for s in steps if s.name == "sent_folder"] == ["Sent (created)"]
    transcript = rec.transcript.text()
    # Dovecot 2.3 does not offer CREATE-SPECIAL-USE: a plain CREATE under the name its
    # configuration (like most servers') flags \\Sent.
    assert 'CREATE "Sent"\n' in transcript
    assert "\\sent" in _flags_of(dovecot, pki, user)["Sent"]
    listed = dovecot.doveadm("mailbox", "list", "-s", "-u", user).stdout.split()
    assert "Sent" in listed  # subscribed: webmail shows it

    error, sent, *_ = imap(probe_config, dovecot.port_ssl, user)  # a later plain test
    assert error is None and sent == "Sent"


def test_it_never_creates_when_a_sent_folder_exists(probe_config, dovecot):
    user = dovecot.add_user(dovecot.unique_username("hassent"), PW, folders=["Gesendete Objekte"])
    error, sent, folders, rec, _ = imap(probe_config, dovecot.port_ssl, user, create=True)
    assert error is None and sent == "Gesendete Objekte" and "Sent" not in folders
    assert "CREATE" not in rec.transcript.text()


def test_without_create_special_use_it_sends_a_plain_create(probe_config, raw_server):
    fake = FakeIMAP(
        folders=[b'(\\HasNoChildren) "." INBOX', b'(\\HasNoChildren) "." INBOX.Drafts'],
        replies={b"CREATE": b"{tag} OK Create completed\r\n", b"SUBSCRIBE": b"{tag} OK done\r\n"},
    )
    error, sent, *_ = _create(probe_config, raw_server(fake).port)
    assert error is None and sent == "INBOX.Sent"  # under INBOX, like the server's other folders
    creates = [line for line in fake.received if b" CREATE " in line]
    assert creates == [creates[0]] and creates[0].endswith(b'CREATE "INBOX.Sent"\r\n')


def test_with_create_special_use_the_new_folder_is_flagged_sent(probe_config, raw_server):
    fake = FakeIMAP(
        capabilities=b"IMAP4rev1 AUTH=PLAIN SPECIAL-USE CREATE-SPECIAL-USE",
        folders=[b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" Archive'],
        replies={b"CREATE": b"{tag} OK done\r\n", b"SUBSCRIBE": b"{tag} OK done\r\n"},
    )
    error, sent, *_ = _create(probe_config, raw_server(fake).port)
    assert error is None and sent == "Sent"
    create = [line for line in fake.received if b" CREATE " in line][0]
    assert create.endswith(b'CREATE "Sent" (USE (\\Sent))\r\n')


def test_a_server_that_refuses_the_flag_gets_a_plain_create(probe_config, raw_server):
    def create(tag, args):
        if b"USE" in args:
            return tag + b" NO [USEATTR] \\Sent is not allowed here\r\n"
        return tag + b" OK done\r\n"

    fake = FakeIMAP(
        capabilities=b"IMAP4rev1 AUTH=PLAIN CREATE-SPECIAL-USE",
        replies={b"CREATE": create, b"SUBSCRIBE": b"{tag} OK done\r\n"},
        folders=[b'(\\HasNoChildren) "/" INBOX'],
    )
    error, sent, *_ = _create(probe_config, raw_server(fake).port)
    assert error is None and sent == "Sent"
    creates = [line for line in fake.received if b" CREATE " in line]
    assert len(creates) == 2 and creates[1].endswith(b'CREATE "Sent"\r\n')


def test_a_refused_create_says_so_with_the_servers_words(probe_config, raw_server):
    fake = FakeIMAP(
        capabilities=b"IMAP4rev1 AUTH=PLAIN CREATE-SPECIAL-USE",
        folders=[b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" Archive'],
        replies={b"CREATE": b"{tag} NO [NOPERM] Folder creation is disabled\r\n"},
    )
    error, sent, folders, *_ = imap(
        probe_config, raw_server(fake).port, "u@example.test", security="none", create=True
    )
    assert (error.code, error.reason) == ("no_sent_folder", "create_refused")
    assert "Folder creation is disabled" in error.server_reply
    assert sent is None and folders == ["INBOX", "Archive"]  # still offered to choose from


def test_the_new_name_avoids_taken_names():
    folders = parse_list([b'(\\Noselect) "/" Sent', b'() "/" INBOX', b'() "/" "sent items"'])
    assert new_name(folders) == "Sent Messages"
