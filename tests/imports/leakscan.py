"""Looking for a password everywhere an import could have left it: files under var/
(broker folders, databases, media), temporary files written since a moment, and Redis."""

import os
import tempfile
from pathlib import Path

from django.conf import settings

from tests.leaks import leak_forms

MAX_FILE = 64 * 1024 * 1024


def _files(root: Path, since: float):
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            if stat.st_mtime >= since and 0 < stat.st_size <= MAX_FILE and path.is_file():
                yield path


def leaks(secrets: list[str], since: float, extra_texts: list[str] = ()) -> list[str]:
    """Where any form of any secret was found (empty: nowhere)."""
    needles = [form.encode() for secret in secrets for form in leak_forms(secret)]
    found = []
    for root in (Path(settings.VAR_DIR), Path(tempfile.gettempdir())):
        for path in _files(root, since):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found += [f"{path}" for needle in needles if needle in data][:1]
    for index, text in enumerate(extra_texts):
        found += [f"text #{index}" for needle in needles if needle in text.encode()][:1]
    if settings.REDIS_URL:
        found += _redis(needles)
    return found


def _redis(needles: list[bytes]) -> list[str]:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"hash":
            values = list(client.hgetall(key).values())
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = client.zrange(key, 0, -1)
        else:
            continue
        if any(needle in value for value in values for needle in needles):
            found.append(f"redis key {key!r}")
    return found
