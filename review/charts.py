"""Server-rendered SVG geometry for the trends view.

Only numbers and labels come out of here; templates draw them with classes from
staff.css, so the charts need no JavaScript and no inline styles (the CSP allows
neither). The stacked bars are drawn twice, wide and narrow, and CSS shows the one
that fits: text in an SVG scales with it, so a 720-wide drawing squeezed onto a phone
would have 5-pixel labels.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format

COLOURS = 8  # .series-0 … .series-7 in staff.css; the last one is "other"


@dataclass(frozen=True)
class Size:
    name: str
    width: int
    plot_height: int
    x_labels: int  # at most this many date labels under the bars
    left: int = 56
    right: int = 12
    char_width: float = 7.0  # a generous average for the 12 px labels


WIDE = Size("wide", 1040, 240, 10)  # about the card's width on a desktop: text at its size
NARROW = Size("narrow", 340, 200, 4)  # a phone's card


@dataclass
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: int
    title: str


@dataclass
class Tick:
    x: float
    y: float
    label: str


@dataclass
class Key:
    x: float
    y: float
    colour: int
    label: str


def day_label(day: date) -> str:
    """ "3 Feb": the month's short name in the active language."""
    return date_format(day, "j M")


def stacks(series: list, by: str, limit: int = COLOURS) -> list[tuple[str, list[int]]]:
    """(label, daily counts) per error code (per provider when grouped by provider),
    largest first; past `limit - 1` the rest are summed into "other"."""
    summed: dict[str, list[int]] = defaultdict(list)
    for s in series:
        key = s.provider_label if by == "provider" else s.code
        if not summed[key]:
            summed[key] = [0] * len(s.counts)
        summed[key] = [a + b for a, b in zip(summed[key], s.counts, strict=True)]
    ordered = sorted(summed.items(), key=lambda item: (-sum(item[1]), item[0]))
    if len(ordered) <= limit:
        return ordered
    head, tail = ordered[: limit - 1], ordered[limit - 1 :]
    other = [sum(day) for day in zip(*(counts for _, counts in tail), strict=True)]
    return [*head, (f"{len(tail)} others", other)]


def nice_step(top: int, ticks: int = 4) -> int:
    """1, 2, 5, 10, 20, 50… so that about `ticks` steps cover `top`."""
    raw = max(top, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return max(1, int(factor * magnitude))
    return int(10 * magnitude)


def _legend(found: list[tuple[str, list[int]]], size: Size) -> tuple[list[Key], int]:
    keys, x, y = [], size.left, 14
    for colour, (label, _) in enumerate(found):
        width = 20 + size.char_width * len(label) + 14
        if x + width > size.width - size.right and x > size.left:
            x, y = size.left, y + 20
        keys.append(Key(x, y, colour, label))
        x += width
    return keys, y + 14


def stacked_bars(days: list[date], found: list[tuple[str, list[int]]], size: Size = WIDE) -> dict:
    """Bars per day with one segment per stack, a labelled y-axis and the legend above."""
    keys, legend_height = _legend(found, size)
    top_y = legend_height + 12
    base_y = top_y + size.plot_height
    totals = [sum(day) for day in zip(*(counts for _, counts in found), strict=True)] if found else []
    step = nice_step(max(totals, default=0))
    top = max(step, math.ceil(max(totals, default=0) / step) * step)

    def y(value: float) -> float:
        return round(base_y - size.plot_height * value / top, 1)

    inner = size.width - size.left - size.right
    slot = inner / max(len(days), 1)
    bar = max(1.0, round(slot * 0.72, 1))
    segments = []
    for i, day in enumerate(days):
        x = round(size.left + i * slot + (slot - bar) / 2, 1)
        below = 0
        for colour, (label, counts) in enumerate(found):
            n = counts[i]
            if not n:
                continue
            segments.append(
                Segment(
                    x,
                    y(below + n),
                    bar,
                    round(y(below) - y(below + n), 1),
                    colour,
                    f"{day_label(day)}: {label}, {n}",
                )
            )
            below += n
    every = max(1, math.ceil(len(days) / size.x_labels))
    x_ticks = [
        Tick(round(size.left + i * slot + slot / 2, 1), base_y + 18, day_label(days[i]))
        for i in range(len(days) - 1, -1, -every)  # counted back from today, which is always labelled
    ]
    y_ticks = [Tick(size.left - 8, y(v), str(v)) for v in range(0, top + 1, step)]
    return {
        "name": size.name,
        "width": size.width,
        "height": base_y + 30,
        "left": size.left,
        "right": size.width - size.right,
        "top_y": top_y,
        "base_y": base_y,
        "axis_x": 16,
        "axis_y": round((top_y + base_y) / 2, 1),
        "keys": keys,
        "segments": segments,
        "x_ticks": x_ticks,
        "y_ticks": y_ticks,
        "max": top,
    }


def sparkline(counts: list[int], width: int = 120, height: int = 28) -> str:
    """Points for a small line of one series, scaled to its own maximum."""
    top = max(max(counts, default=0), 1)
    n = len(counts)
    step = width / max(n - 1, 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - 2 - (height - 4) * v / top, 1)}" for i, v in enumerate(counts)
    )
