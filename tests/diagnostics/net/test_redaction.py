import base64

from diagnostics.net.redaction import REDACTED, Redactor
from diagnostics.net.transcript import Transcript


def test_it_removes_the_password_and_its_auth_encodings():
    password = 'pä ss"wo\\rd'
    redact = Redactor(password, ("alice@example.test",))
    plain = base64.b64encode(b"\0alice@example.test\0" + password.encode()).decode()
    login = base64.b64encode(password.encode()).decode()
    text = f"AUTH PLAIN {plain} then {login} and {password}"
    cleaned = redact(text)
    assert password not in cleaned and plain not in cleaned and login not in cleaned
    assert cleaned.count(REDACTED) == 3


def test_it_leaves_text_alone_without_a_password():
    assert Redactor("")("535 5.7.8 Authentication failed") == "535 5.7.8 Authentication failed"


def test_a_very_short_password_is_masked_by_shape_not_cut_out_of_words():
    """A 1-3 character password would otherwise eat letters out of every message."""
    redact = Redactor("x", ("alice@example.test",))
    assert redact("550 nonexistent mailbox") == "550 nonexistent mailbox"
    transcript = Transcript(redact)
    transcript.client(b"a1 LOGIN alice@example.test x\r\n")
    plain = base64.b64encode(b"\0alice@example.test\0x").decode()
    transcript.client(f"AUTH PLAIN {plain}\r\n".encode())
    text = transcript.text()
    assert " x\n" not in text and plain not in text
    assert "LOGIN alice@example.test" in text and text.count(REDACTED) == 2
    # The PLAIN blob itself is long enough to redact by value wherever it appears.
    assert redact(f"echo {plain}") == f"echo {REDACTED}"


def test_a_four_character_password_is_still_redacted_by_value():
    assert Redactor("abcd")("server said abcd") == f"server said {REDACTED}"
