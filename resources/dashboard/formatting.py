"""How the KPI report writes numbers: whole won, counts, rates and changes, rounded as a receipt does."""

from __future__ import annotations

import math


def is_missing(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _round_half_up(value: float) -> int:
    """Round like a receipt does (2.5 -> 3), not like Python's banker's rounding (2.5 -> 2)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def format_krw(value: float) -> str:
    """₩1,234,567; whole won, because KRW has no minor unit."""
    if is_missing(value):
        return "–"
    won = _round_half_up(value)
    return f"-₩{-won:,}" if won < 0 else f"₩{won:,}"


def format_count(value: float) -> str:
    return "–" if is_missing(value) else f"{_round_half_up(value):,}"


def format_rate(value: float) -> str:
    return "–" if is_missing(value) else f"{value * 100:.1f}%"


def change(current: float, previous: float, *, as_points: bool) -> float | None:
    """Relative change in % for amounts and counts; percentage points for a rate (a % of a % misleads).

    Rounded to the one decimal shown, so the colour of a change always agrees with its printed sign.
    """
    if is_missing(current) or is_missing(previous):
        return None
    if as_points:
        return round((current - previous) * 100, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    if previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100, 1) + 0.0


def format_change(delta: float | None, *, as_points: bool) -> str:
    if delta is None:
        return "n/a"
    unit = " pp" if as_points else "%"
    return f"±0.0{unit}" if delta == 0 else f"{delta:+.1f}{unit}"
