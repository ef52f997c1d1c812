"""Run as a separate process: set Django up, say "ready", wait for the go file, then
count one key N times through core.counters; print when it counted
("span START END") and each returned count, one a line.

    python -m tests.core.count_hits KEY N GO_FILE
"""

import os
import sys
import time

import django

# A window of about 31 years: no window boundary falls inside a test.
WINDOW = 10**9


def main() -> None:
    key, n, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")
    django.setup()
    from django.db import connection

    from core import counters

    connection.ensure_connection()
    counters.count(key, WINDOW)  # connected to Redis too, when that is the store
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    started = time.time()
    values = [counters.hit(key, WINDOW) for _ in range(n)]
    print(f"span {started:.6f} {time.time():.6f}")
    print("\n".join(map(str, values)))


if __name__ == "__main__":
    main()
