"""Ids that arrive as text (query strings, form lists): parsed, never handed to the ORM raw.

`Mailbox.objects.get(pk="abc")` raises ValueError, and a 30-digit id overflows SQLite's
integer: both were 500s. A text that is not a plain id is simply no id: a 404, or
nothing selected.
"""

MAX_DIGITS = 18  # below 2**63 - 1, the largest id PostgreSQL and SQLite store


def as_id(text) -> int | None:
    """The id `text` names (ASCII digits only), or None."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > MAX_DIGITS:
        return None
    return int(text)


def as_ids(texts, limit: int) -> list[int]:
    """The ids among `texts` (at most `limit` looked at), skipping anything else."""
    return [found for text in list(texts)[:limit] if (found := as_id(text)) is not None]
