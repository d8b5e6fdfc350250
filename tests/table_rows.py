"""Warehouse query results as plain, engine-independent values, to compare DuckDB with Snowflake.

The two engines hand the same values out as different Python types (DuckDB a DATE as a midnight
`pd.Timestamp`, Snowflake as a `datetime.date`; NUMBER(38,0) vs BIGINT as numpy ints; a ratio as a
float or a `Decimal` with a fixed scale). `comparable` maps each to one spelling; `row_multiset` adds an
order-independent view that still counts duplicates.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

# Ratios (aov, cancel_rate) are rounded to this many places: DuckDB computes them as DOUBLE, Snowflake as
# NUMBER with a fixed scale (6 for a division), so only digits past that may differ.
RATIO_PLACES = 6


def plain(value: Any) -> Any:
    """One value as str / int / float / bool / None: timestamps as UTC instants, dates as ISO days."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp) and value.tzinfo is None:  # DuckDB hands DATE out this way
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, RATIO_PLACES)
    return value


def comparable(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain values, in the frame's order."""
    return [{name: plain(value) for name, value in row.items()} for row in frame.to_dict("records")]


def row_multiset(frame: pd.DataFrame) -> Counter:
    """Rows as a multiset of (column, value) tuples: equal for equal tables in any order, duplicates counted."""
    return Counter(tuple(sorted(row.items())) for row in comparable(frame))
