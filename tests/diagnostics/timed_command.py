"""Run a manage.py command and write, to the file named first, the seconds from the
command's start to the process's end (non-daemon threads joined). Python's and Django's
start-up are left out: on a busy machine they vary by seconds, and they are not the
command's doing.

    python -m tests.diagnostics.timed_command OUT diagnose ARGS...
"""

import atexit
import importlib
import os
import sys
import time


def main() -> None:
    out, name, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")
    import django
    from django.core.management import get_commands

    django.setup()
    module = importlib.import_module(f"{get_commands()[name]}.management.commands.{name}")
    started = time.monotonic()

    def record() -> None:  # atexit runs after the interpreter has joined every non-daemon thread
        with open(out, "w") as file:
            file.write(f"{time.monotonic() - started:.3f}")

    atexit.register(record)
    module.Command().run_from_argv(["manage.py", name, *args])


if __name__ == "__main__":
    main()
