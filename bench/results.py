"""Percentiles and bench/RESULTS.md sections, without Django (harness.py sets Django up
on import; the browser and watcher benchmarks talk to the app over HTTP instead)."""

import os
import platform
import re

from stack import ROOT


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ms(samples: list[float], q: float = 0.5) -> str:
    """A percentile of samples in seconds, as whole milliseconds."""
    return f"{percentile(samples, q) * 1000:.0f}" if samples else "–"


def write_section(head: str, body: str) -> None:
    """Replace `## head` in bench/RESULTS.md (or append it), leaving other sections alone."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"## {head}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(head)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + block
    path.write_text(text.rstrip() + "\n")


_LOAD_AT_START = os.getloadavg()[0]


def machine() -> str:
    """Cores, system, Python and the 1-minute load average at start and now: the
    cores are shared, so the load says how quiet the machine was."""
    return (
        f"{os.cpu_count()} cores ({platform.system().lower()}), Python {platform.python_version()}, "
        f"load average {_LOAD_AT_START:.1f} at start and {os.getloadavg()[0]:.1f} at the end"
    )


def problems_line(by_tier: dict) -> str:
    """The closing line of a browser benchmark's section: `by_tier` maps a tier to its Problems."""
    seen = "; ".join(f"{tier}: {problems.summary()}" for tier, problems in by_tier.items())
    return f"Browser console errors while timing: {seen}."
