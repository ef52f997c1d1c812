"""Server-rendered SVG geometry for the grouped view.

Only numbers come out of here; templates draw them with classes from staff.css,
so the charts need no JavaScript and no inline styles (the CSP allows neither).
"""

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28
COLOURS = 8  # .series-0 … .series-7 in staff.css


@dataclass
class Line:
    label: str
    colour: int
    points: str
    last_x: float
    last_y: float


@dataclass
class Tick:
    x: float
    label: str


def _scale(counts_max: int):
    top = max(counts_max, 1)
    inner_h = HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return round(TOP + inner_h - inner_h * value / top, 1)

    return top, y


def _xs(n: int) -> list[float]:
    inner_w = WIDTH - LEFT - RIGHT
    if n == 1:
        return [LEFT + inner_w / 2]
    return [round(LEFT + inner_w * i / (n - 1), 1) for i in range(n)]


def line_chart(days: list[date], series: list, limit: int = COLOURS) -> dict:
    """Lines for the first `limit` series, with x ticks and the y maximum."""
    shown = series[:limit]
    top, y = _scale(max((max(s.counts) for s in shown), default=0))
    xs = _xs(len(days))
    lines = []
    for colour, s in enumerate(shown):
        points = " ".join(f"{x},{y(v)}" for x, v in zip(xs, s.counts, strict=True))
        lines.append(Line(s.label, colour, points, xs[-1], y(s.counts[-1])))
    step = max(1, len(days) // 7)
    ticks = [Tick(xs[i], days[i].strftime("%a %d")) for i in range(0, len(days), step)]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top_y": TOP,
        "base_y": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 8,
        "max": top,
        "lines": lines,
        "ticks": ticks,
    }


def sparkline(counts: list[int], width: int = 120, height: int = 28) -> str:
    """Points for a small line of one series, scaled to its own maximum."""
    top = max(max(counts, default=0), 1)
    n = len(counts)
    step = width / max(n - 1, 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - 2 - (height - 4) * v / top, 1)}" for i, v in enumerate(counts)
    )
