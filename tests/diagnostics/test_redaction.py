import base64

from diagnostics.steps import REDACTED, Redactor


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
