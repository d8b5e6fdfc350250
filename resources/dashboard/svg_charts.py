"""Inline SVG charts for the offline KPI report: a line per measure, stacked bars; deterministic text.

Drawn here rather than by a charting library because the report must open offline as one file (no script
to fetch) and identical tables must give byte-identical pages; each chart is a few dozen elements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from resources.dashboard.formatting import is_missing

Formatter = Callable[[float], str]
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac")

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 100, 40, 12, 36  # RIGHT: room for half of the last date label
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _n(value: float) -> str:
    """Coordinates with one decimal: enough for a screen, and stable text for byte-identical output."""
    return f"{value:.1f}"


def nice_ticks(high: float, count: int = 4) -> list[float]:
    """Round axis ticks from 0 up to at least `high`, in steps of 1, 2 or 5 x 10^k (never below 1: every
    charted measure is whole won or a count)."""
    high = max(high, 1.0)
    raw = high / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    return [i * step for i in range(math.ceil(high / step - 1e-9) + 1)]


@dataclass(frozen=True)
class _DayAxis:
    """Maps calendar days to x: one slot per day of the period, so a missing day shows as a gap."""

    first: date
    slots: int

    @classmethod
    def of(cls, days: Sequence[date]) -> _DayAxis:
        return cls(days[0], days[-1].toordinal() - days[0].toordinal() + 1)

    @property
    def slot(self) -> float:
        return PLOT_W / self.slots

    def x(self, day: date) -> float:
        return LEFT + (day.toordinal() - self.first.toordinal() + 0.5) * self.slot


def _y(value: float, top_tick: float) -> float:
    return TOP + PLOT_H * (1 - value / top_tick)


def _frame(title: str, axis: _DayAxis, days: Sequence[date], ticks: list[float], tick_fmt: Formatter) -> str:
    """The svg opening, y gridlines with labels and up to six date labels; the caller adds marks, </svg>."""
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">']
    for tick in ticks:
        y = _n(_y(tick, ticks[-1]))
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text class="ylab" x="{LEFT - 6}" y="{y}">{escape(tick_fmt(tick))}</text>')
    picks = sorted({round(i * (len(days) - 1) / 5) for i in range(6)})
    for i in picks:
        x = _n(axis.x(days[i]))
        parts.append(f'<text class="xlab" x="{x}" y="{HEIGHT - BOTTOM + 18}">{days[i].isoformat()}</text>')
    return "".join(parts)


def line_chart(title: str, days: Sequence[date], values: Sequence[float], fmt: Formatter) -> str:
    """One measure over days; the line breaks where a value is missing rather than bridging the gap."""
    axis = _DayAxis.of(days)
    present = [v for v in values if not is_missing(v)]
    ticks = nice_ticks(max(present, default=0.0))
    parts = [_frame(title, axis, days, ticks, fmt)]
    path, pen_down, previous = [], False, None
    for day, value in zip(days, values, strict=True):
        if is_missing(value):
            pen_down = False
            continue
        contiguous = previous is not None and day.toordinal() - previous.toordinal() == 1
        path.append(f"{'L' if pen_down and contiguous else 'M'}{_n(axis.x(day))} {_n(_y(value, ticks[-1]))}")
        pen_down, previous = True, day
    if path:
        parts.append(f'<path class="line" d="{" ".join(path)}"/>')
    for day, value in zip(days, values, strict=True):
        if not is_missing(value):
            parts.append(
                f'<circle class="dot" cx="{_n(axis.x(day))}" cy="{_n(_y(value, ticks[-1]))}" r="3">'
                f"<title>{day.isoformat()}: {escape(fmt(value))}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Layer:
    """One stacked series: its legend name, colour and a value per day (aligned with the days given)."""

    name: str
    color: str
    values: tuple[float, ...]


def stacked_bar_chart(
    title: str,
    days: Sequence[date],
    layers: Sequence[Layer],
    ticks: list[float],
    tick_fmt: Formatter,
    value_fmt: Formatter,
) -> str:
    """Bars per day with the layers stacked bottom-up in the order given; each segment has a tooltip."""
    axis = _DayAxis.of(days)
    width = _n(axis.slot * 0.8)
    parts = [_frame(title, axis, days, ticks, tick_fmt)]
    for i, day in enumerate(days):
        base = 0.0
        x = _n(axis.x(day) - axis.slot * 0.4)
        for layer in layers:
            value = layer.values[i]
            if is_missing(value) or value <= 0:
                continue
            y_top, y_bottom = _y(base + value, ticks[-1]), _y(base, ticks[-1])
            parts.append(
                f'<rect x="{x}" y="{_n(y_top)}" width="{width}" height="{_n(y_bottom - y_top)}" '
                f'fill="{layer.color}"><title>{day.isoformat()} · {escape(layer.name)}: '
                f"{escape(value_fmt(value))}</title></rect>"
            )
            base += value
    parts.append("</svg>")
    return "".join(parts)


def legend(layers: Sequence[Layer]) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{layer.color}"></span>{escape(layer.name)}</li>'
        for layer in layers
    )
    return f'<ul class="legend">{items}</ul>'
