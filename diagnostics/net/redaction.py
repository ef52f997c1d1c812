"""Removing a password from text, by value, in the forms it travels in.

Shape-based masking (AUTH arguments, SASL continuations, LOGIN's password) is the
transcript's job; this catches a secret wherever else it shows up, such as a
server that echoes it back.
"""

import base64

REDACTED = "[redacted]"
# Below this length a password is masked by shape only: cutting "x" out of every
# message would turn "nonexistent" into "none[redacted]istent" and hide nothing.
MIN_VALUE_REDACTION = 4


class Redactor:
    """Removes a password, in the forms it travels in, from any text."""

    def __init__(self, password: str, usernames: tuple[str, ...] = (), extra: tuple[str, ...] = ()):
        # `extra`: other forms of a secret, such as a token inside its SASL strings.
        forms: set[str] = set(extra)
        if password:
            raw = password.encode()
            if len(password) >= MIN_VALUE_REDACTION:
                forms.add(password)
                forms.add(base64.b64encode(raw).decode())
            for user in usernames:
                for blob in (b"\0" + user.encode() + b"\0" + raw, user.encode() + b"\0" + raw):
                    forms.add(base64.b64encode(blob).decode())
        # Longest first so that a password inside a longer token goes with the token.
        self.forms = sorted((f for f in forms if f), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.forms:
            text = text.replace(secret, REDACTED)
        return text
