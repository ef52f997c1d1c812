"""Run as a separate process: set Django up, say "ready", wait for the go file, then
count one key N times through core.counters; print when it counted
("span START END") and each returned count, one a line.

After its first count it touches MINE and waits for THEIRS: on two busy cores one
process could otherwise finish its few milliseconds of counting before the other is
scheduled, and the counts would never meet.

    python -m tests.core.count_hits KEY N GO_FILE MINE THEIRS
"""

import os
import sys
import time

import django

# A window of about 31 years: no window boundary falls inside a test.
WINDOW = 10**9


def _wait_for(path: str) -> None:
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"{path} never appeared")
        time.sleep(0.001)


def main() -> None:
    key, n, go, mine, theirs = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")
    django.setup()
    from django.db import connection

    from core import counters

    connection.ensure_connection()
    counters.count(key, WINDOW)  # connected to Redis too, when that is the store
    print("ready", flush=True)
    _wait_for(go)
    started = time.time()
    values = [counters.hit(key, WINDOW)]
    open(mine, "w").close()
    _wait_for(theirs)
    values += [counters.hit(key, WINDOW) for _ in range(n - 1)]
    print(f"span {started:.6f} {time.time():.6f}")
    print("\n".join(map(str, values)))


if __name__ == "__main__":
    main()
