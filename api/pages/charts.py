"""Charts of the routing report as plain geometry, drawn as SVG by the templates on the server
(no chart library in the browser). Coordinates are SVG user units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 600, 200, 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT


@dataclass(frozen=True)
class LinePoint:
    label: str
    value: float
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LineChart:
    title: str
    points: list[LinePoint]
    max_text: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def bar_chart(title: str, values: Sequence[tuple[str, float]], *, unit: str = "") -> BarChart:
    """Vertical bars scaled to the largest value."""
    top = max((value for _, value in values), default=0.0) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values), 1)
    bars = []
    for i, (label, value) in enumerate(values):
        height = (HEIGHT - 2 * PAD) * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=PAD + i * step + step * 0.1,
                y=HEIGHT - PAD - height,
                width=step * 0.8,
                height=height,
                text=f"{value:g}{unit}",
            )
        )
    return BarChart(title=title, bars=bars)


def line_chart(
    title: str, values: Sequence[tuple[str, float | None]], *, unit: str = "", top: float = 0.0
) -> LineChart:
    """A line over the labelled values; a missing value (None) leaves its day out."""
    known = [value for _, value in values if value is not None]
    top = max([top, *known]) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = [
        LinePoint(
            label=label,
            value=value,
            x=PAD + i * step,
            y=HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top,
            text=f"{value:.3g}{unit}",
        )
        for i, (label, value) in enumerate(values)
        if value is not None
    ]
    return LineChart(title=title, points=points, max_text=f"{top:.3g}{unit}")
