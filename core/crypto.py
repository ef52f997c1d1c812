"""Encryption of stored mailbox passwords with MultiFernet.

The first key in CREDENTIALS_KEYS encrypts; every key decrypts. A token that no key
opens raises DecryptionError: we never hand back ciphertext or garbage as a password.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored credential could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise DecryptionError("stored credential cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt with the first key; raises DecryptionError like decrypt."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("stored credential cannot be decrypted with the configured keys") from exc
