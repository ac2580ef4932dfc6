"""Chart geometry for server-rendered SVG (drawn by templates/console/_charts.html).

No JavaScript and no outside asset: charts work offline and under a strict CSP. Colours
come from the series classes s0..s5 in console.css."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SERIES_COLOURS = 6
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Bar:
    """One horizontal bar; `start` and `width` are percentages of the track."""

    label: str
    value: float
    start: float
    width: float
    detail: str = ""

    @property
    def negative(self) -> bool:
        return self.value < 0


def bars(items: Sequence[tuple[str, float, str]]) -> list[Bar]:
    """Bars on one scale; negative values grow left of a zero line shared by every row."""
    values = [value for _, value, _ in items]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    zero = -low / span * 100
    return [
        Bar(label, value, zero + min(value, 0.0) / span * 100, abs(value) / span * 100, detail)
        for label, value, detail in items
    ]


def nice_step(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above `value`."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value * (1 - 1e-9))


def axis(high: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step) of a value axis from 0 with about `ticks` round steps covering `high`."""
    if high <= 0:
        return 1.0, 0.25
    step = nice_step(high / ticks)
    return math.ceil(high / step - 1e-9) * step, step


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    series: int
    name: str
    period: str
    value: float


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    bottom: float
    segments: list[Segment]
    ticks: list[tuple[float, float]]  # (y, value)
    labels: list[tuple[float, str]]  # (x of the column's centre, period)
    legend: list[tuple[int, str]]  # (colour class, series name)


def stacked_columns(
    periods: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, width: int = 760, height: int = 240
) -> ColumnChart:
    """One column per period, each series stacked on the ones before it (negatives count as 0)."""
    left, top, bottom = 48, 12, height - 28
    totals = [sum(max(values[i], 0.0) for _, values in series) for i in range(len(periods))]
    ceiling, step = axis(max(totals, default=0.0))
    scale = (bottom - top) / ceiling
    slot = (width - left) / max(len(periods), 1)
    segments = []
    for i, period in enumerate(periods):
        base = bottom
        for n, (name, values) in enumerate(series):
            size = max(values[i], 0.0) * scale
            if size > 0:
                colour = n % SERIES_COLOURS
                segments.append(
                    Segment(
                        left + i * slot + slot * 0.15, base - size, slot * 0.7, size, colour, name, period, values[i]
                    )
                )
            base -= size
    return ColumnChart(
        width=width,
        height=height,
        left=left,
        bottom=bottom,
        segments=segments,
        ticks=[(bottom - k * step * scale, k * step) for k in range(round(ceiling / step) + 1)],
        labels=period_labels(periods, left, slot),
        legend=legend(series),
    )


def period_labels(periods: Sequence[str], left: float, slot: float) -> list[tuple[float, str]]:
    """(x of the period's centre, period) for at most about MAX_X_LABELS evenly spread periods."""
    every = math.ceil(len(periods) / MAX_X_LABELS) or 1
    return [(left + i * slot + slot / 2, period) for i, period in enumerate(periods) if i % every == 0]


def legend(series: Sequence[tuple[str, Sequence]]) -> list[tuple[int, str]]:
    return [(n % SERIES_COLOURS, name) for n, (name, _) in enumerate(series)]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    series: int
    name: str
    period: str
    value: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    bottom: float
    lines: list[tuple[int, str, str]]  # (colour class, series name, SVG path)
    points: list[Point]
    ticks: list[tuple[float, float]]  # (y, value)
    labels: list[tuple[float, str]]  # (x of the period, period)
    legend: list[tuple[int, str]]
    zero: float | None  # y of the zero line, when the axis spans negative and positive values


def line_chart(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    low: float,
    high: float,
    step: float,
    width: int = 760,
    height: int = 220,
) -> LineChart:
    """A point per period and series on a fixed scale [low, high] (NPS -100..100, CES 1..7), joined by
    lines; a period without a value (None: nobody answered) leaves a gap rather than a fake zero."""
    left, top, bottom = 48, 12, height - 28
    scale = (bottom - top) / (high - low)
    slot = (width - left) / max(len(periods), 1)

    def y_of(value: float) -> float:
        return bottom - (min(max(value, low), high) - low) * scale

    points, lines = [], []
    for n, (name, values) in enumerate(series):
        mine = [
            Point(left + i * slot + slot / 2, y_of(value), n % SERIES_COLOURS, name, period, value)
            for i, (period, value) in enumerate(zip(periods, values, strict=True))
            if value is not None
        ]
        points.extend(mine)
        lines.append((n % SERIES_COLOURS, name, line_path(mine, slot)))
    return LineChart(
        width=width,
        height=height,
        left=left,
        bottom=bottom,
        lines=lines,
        points=points,
        ticks=[(y_of(low + k * step), low + k * step) for k in range(round((high - low) / step) + 1)],
        labels=period_labels(periods, left, slot),
        legend=legend(series),
        zero=y_of(0.0) if low < 0 < high else None,
    )


def line_path(points: Sequence[Point], slot: float) -> str:
    """`M x y L x y …`, a new `M` after a gap (neighbouring periods are one slot apart)."""
    parts, previous = [], None
    for point in points:
        joined = previous is not None and point.x - previous.x <= slot * 1.01
        parts.append(f"{'L' if joined else 'M'}{point.x:.1f} {point.y:.1f}")
        previous = point
    return " ".join(parts)
