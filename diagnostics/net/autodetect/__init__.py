"""Autodetection: the right SMTP/IMAP settings for an address.

The cascade (`cascade`, `mx`, `srv`, `autoconfig`, `ispdb`, `guess`, `probe`,
`http`, `dnsq`) is plain Python; `diagnostics.autodetection` adds Django's
settings, cache and tasks.
"""

from .detection import Detection

__all__ = ["Detection"]
