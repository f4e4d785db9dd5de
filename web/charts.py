"""Geometry of the server-drawn SVG charts (templates/analytics/_charts.html draws them).

No script and no inline style: shapes carry classes styled by relais.css, so the charts
pass the Content-Security-Policy and print. Each chart is shown with its data table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at least ``value`` (1 for zero)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(
    items: Sequence[tuple[str, float, str]],
    width: int = 640,
    label_width: int = 220,
    bar_height: int = 22,
    gap: int = 8,
) -> BarChart:
    """Horizontal bars for (label, value, value as text), scaled to the largest value."""
    room = width - label_width - 70
    top = max((v for _, v, _ in items), default=0) or 1
    bars = [
        Bar(
            label=label,
            text=text,
            y=gap + i * (bar_height + gap),
            width=round(max(value, 0) / top * room, 1),
        )
        for i, (label, value, text) in enumerate(items)
    ]
    return BarChart(
        bars=bars,
        width=width,
        height=gap + len(bars) * (bar_height + gap),
        label_width=label_width,
        bar_height=bar_height,
    )


@dataclass(frozen=True)
class Line:
    name: str
    css: str
    points: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    lines: list[Line]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    marker_x: float | None
    # More vertical marks with their labels (trainings), and the x of partial weeks.
    marks: tuple[tuple[float, str], ...] = ()
    partial_x: tuple[float, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.lines


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    marker_index: int | None = None,
    number=lambda v: f"{v:g}",
    width: int = 640,
    height: int = 260,
    marks: Sequence[tuple[int, str]] = (),
    partial: Sequence[int] = (),
) -> LineChart:
    """Lines over the same x labels (weeks); ``marker_index`` draws a vertical mark there
    (a training day); ``number`` formats the y ticks in the reader's language. ``marks`` are
    more (index, label) vertical marks drawn on a point (trainings on the weekly charts);
    ``partial`` the indexes of points that are partial weeks, drawn hollow."""
    left, top, right, bottom = 48, 12, width - 36, height - 36
    top_value = nice_ceiling(max((max(v, default=0) for _, v in series), default=0))
    n = len(labels)
    step = (right - left) / max(n - 1, 1)

    def x(i: int) -> float:
        return round(left + i * step, 1)

    def y(v: float) -> float:
        return round(bottom - (v / top_value) * (bottom - top), 1)

    lines = [
        Line(
            name=name,
            css=f"series-{k + 1}",
            points=" ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
        )
        for k, (name, values) in enumerate(series)
    ]
    y_ticks = [(y(top_value * f), number(top_value * f)) for f in (0, 0.5, 1)]
    every = max(1, math.ceil(n / 8))
    x_ticks = [(x(i), labels[i]) for i in range(0, n, every)]
    return LineChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=lines if n else [],
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        marker_x=x(marker_index) - step / 2 if marker_index is not None and n else None,
        marks=tuple((x(i), label) for i, label in marks if 0 <= i < n),
        partial_x=tuple(x(i) for i in partial if 0 <= i < n),
    )


@dataclass(frozen=True)
class Interval:
    """One row of an :class:`IntervalChart`: an estimate and its interval, or only a note
    (``x`` None) when there is nothing to draw."""

    label: str
    text: str  # the estimate and its interval, written out
    y: float
    x: float | None = None
    x_low: float | None = None
    x_high: float | None = None
    measurable: bool = False


@dataclass(frozen=True)
class IntervalChart:
    rows: list[Interval]
    width: int
    height: int
    left: int
    right: int
    zero_x: float
    ticks: list[tuple[float, str]]
    row_height: int

    @property
    def empty(self) -> bool:
        return not self.rows


def interval_chart(
    items: Sequence[tuple[str, float | None, float | None, float | None, bool, str]],
    number=lambda v: f"{v:g}",
    width: int = 640,
    left: int = 230,
    text_width: int = 150,
    row_height: int = 26,
) -> IntervalChart:
    """Estimates with their intervals on one axis centred on 0 (a "forest plot"): one row per
    (label, estimate, low, high, measurable, text); a row without an estimate shows its
    text only. The axis is symmetric, so that a rise and a fall of one size look alike."""
    right = width - text_width
    extent = nice_ceiling(
        max(
            (abs(v) for _, e, lo, hi, _, _ in items for v in (e, lo, hi) if v is not None),
            default=0,
        )
    )

    def x(v: float) -> float:
        return round(left + (v + extent) / (2 * extent) * (right - left), 1)

    rows = []
    for i, (label, effect, low, high, measurable, text) in enumerate(items):
        y = 8 + i * row_height + row_height / 2
        drawn = effect is not None and low is not None and high is not None
        rows.append(
            Interval(
                label=label,
                text=text,
                y=y,
                x=x(effect) if drawn else None,
                x_low=x(low) if drawn else None,
                x_high=x(high) if drawn else None,
                measurable=measurable,
            )
        )
    height = 8 + len(rows) * row_height + 24
    ticks = [(x(v), number(v)) for v in (-extent, -extent / 2, 0, extent / 2, extent)]
    return IntervalChart(
        rows=rows,
        width=width,
        height=height,
        left=left,
        right=right,
        zero_x=x(0),
        ticks=ticks,
        row_height=row_height,
    )
