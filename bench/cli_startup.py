"""Start-up cost of `manage.py diagnose` beside `manage.py help`, in this tree and,
with --base PATH, in another checkout (the same virtualenv), measured interleaved so
that both see the same load.

diagnose is aimed at a closed port (9) on 127.0.0.1 for both protocols with both
servers given: the connections are refused at once, and nothing is looked up, so what
is measured is start-up and imports, not protocol time.

    python bench/cli_startup.py [--base ../main] [--runs 11]   (prints the RESULTS.md rows)
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import ROOT  # noqa: E402

DIAGNOSE = ["diagnose", "a@example.test", "--password-env", "PW", "--json"] + [
    arg
    for proto in ("smtp", "imap")
    for arg in (f"--{proto}-host", "127.0.0.1", f"--{proto}-port", "9", f"--{proto}-security", "ssl")
]
ENV = {**os.environ, "MAIL_ALLOWED_PRIVATE_HOSTS": "127.0.0.1", "PW": "x"}


def _seconds(tree: Path, args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=tree, env=ENV, capture_output=True, check=False)
    return time.perf_counter() - started


def _imports(tree: Path, args: list[str]) -> dict[str, int]:
    """Module -> its own import time (µs), from `python -X importtime`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", *args],
        cwd=tree,
        env=ENV,
        capture_output=True,
        text=True,
    )
    found = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            own, _, name = line.removeprefix("import time:").split("|")
            if own.strip().isdigit():
                found[name.strip()] = int(own)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    parser.add_argument("--runs", type=int, default=11)
    options = parser.parse_args()
    trees = {"this tree": ROOT} | ({"base": options.base.resolve()} if options.base else {})
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.runs):
        for name, tree in trees.items():
            times.setdefault((name, "help"), []).append(_seconds(tree, ["help"]))
            times.setdefault((name, "diagnose"), []).append(_seconds(tree, DIAGNOSE))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(
        "| tree | help (ms, median) | diagnose (ms, median) | difference (ms) | modules only diagnose imports |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, tree in trees.items():
        helped = statistics.median(times[(name, "help")]) * 1000
        diagnosed = statistics.median(times[(name, "diagnose")]) * 1000
        extra = set(_imports(tree, DIAGNOSE)) - set(_imports(tree, ["help"]))
        print(f"| {name} | {helped:.0f} | {diagnosed:.0f} | {diagnosed - helped:+.0f} | {len(extra)} |")


if __name__ == "__main__":
    main()
