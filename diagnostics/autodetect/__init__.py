"""Autodetection: the right SMTP/IMAP settings for an address.

The cascade (`cascade`, `mx`, `srv`, `autoconfig`, `ispdb`, `guess`, `probe`,
`http`, `dnsq`) is plain Python; `service` adds Django's settings and cache.
"""

from .detection import Detection
from .service import detect

__all__ = ["Detection", "detect"]
