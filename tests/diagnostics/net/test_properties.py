"""Property-based tests: the codec round-trips, and the parsers never crash."""

import base64

from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.imap_utf7 import encode as encode_utf7

from diagnostics.net import errors, replies
from diagnostics.net.redaction import REDACTED, Redactor
from diagnostics.net.sent_folder import find_sent, parse_list
from diagnostics.net.transcript import Transcript, mask_client_line

folder_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s)


@given(folder_names)
def test_modified_utf7_round_trips(name):
    encoded = encode_utf7(name)
    assert encoded.isascii()
    assert decode_utf7(encoded) == name


@given(st.lists(folder_names, min_size=1, max_size=20), st.sampled_from(["/", ".", "NIL"]))
def test_list_lines_we_build_parse_back_to_the_same_names(names, delimiter):
    delim = "NIL" if delimiter == "NIL" else f'"{delimiter}"'
    lines = []
    for name in names:
        wire = encode_utf7(name).replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        lines.append(b"(\\HasNoChildren) " + delim.encode() + b' "' + wire + b'"')
    assert [f.name for f in parse_list(lines)] == names


@given(
    st.lists(st.one_of(st.binary(max_size=200), st.tuples(st.binary(max_size=80), st.binary(max_size=80))))
)
def test_the_list_parser_never_crashes_on_garbage(data):
    folders = parse_list(data)
    find_sent(folders)
    assert all(isinstance(f.name, str) for f in folders)


@given(st.text(max_size=300))
def test_reply_readers_never_crash_and_answer_known_codes(text):
    assert replies.smtp_auth_verdict(text).code in errors.CATALOGUE
    assert replies.imap_auth_verdict(text).code in errors.CATALOGUE
    replies.foreign_protocol(text.encode("utf-8", "replace"), "imap")


passwords = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=4, max_size=40
)


@settings(max_examples=200)
@given(passwords, st.emails())
def test_no_auth_exchange_leaks_the_password_into_the_transcript(password, user):
    transcript = Transcript(Redactor(password, (user,)))
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    transcript.client(f"AUTH PLAIN {plain}\r\n")
    transcript.server("235 ok")
    transcript.client("AUTH LOGIN\r\n")
    transcript.server("334 VXNlcm5hbWU6")
    transcript.client(base64.b64encode(user.encode()).decode())
    transcript.server("334 UGFzc3dvcmQ6")
    transcript.client(base64.b64encode(password.encode()).decode())
    transcript.server(f"535 5.7.8 {password} rejected")
    transcript.client('a2 LOGIN "x" "' + password.replace("\\", "\\\\").replace('"', '\\"') + '"')
    text = transcript.text()
    for secret in (password, plain, base64.b64encode(password.encode()).decode()):
        assert secret not in text


@given(st.text(max_size=200))
def test_masking_never_crashes(line):
    mask_client_line(line)


def test_it_masks_every_credential_shape():
    assert mask_client_line("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == f"AUTH PLAIN {REDACTED}"
    assert mask_client_line("AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciB5YTI5") == f"AUTH XOAUTH2 {REDACTED}"
    assert mask_client_line("A1 AUTHENTICATE XOAUTH2 dXNlcj1h") == f"A1 AUTHENTICATE XOAUTH2 {REDACTED}"
    assert mask_client_line('a1 LOGIN "alice" "s3cret pw"') == f'a1 LOGIN "alice" {REDACTED}'
    assert mask_client_line("a1 LOGIN alice s3cret") == f"a1 LOGIN alice {REDACTED}"
    assert mask_client_line("EHLO localhost") == "EHLO localhost"


def test_it_masks_sasl_continuations_until_the_exchange_ends():
    transcript = Transcript(Redactor(""))
    transcript.client("a1 AUTHENTICATE PLAIN")
    transcript.server("+ ")
    transcript.client("AGFsaWNlAHNlY3JldA==")
    transcript.server("a1 OK done")
    transcript.client('a2 LIST "" "*"')
    assert transcript.lines == [
        "C: a1 AUTHENTICATE PLAIN",
        "S: + ",
        f"C: {REDACTED}",
        "S: a1 OK done",
        'C: a2 LIST "" "*"',
    ]


def test_it_caps_the_transcript():
    transcript = Transcript(Redactor(""))
    for i in range(10_000):
        transcript.server(f"* OK line {i} " + "x" * 1000)
    text = transcript.text()
    assert len(text) < 80_000 and "more lines not kept" in text
