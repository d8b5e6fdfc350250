"""Partitions: the business runs on Asia/Seoul days, and every partition says so explicitly."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

BUSINESS_TIMEZONE = "Asia/Seoul"
FIRST_BUSINESS_DAY = "2026-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=FIRST_BUSINESS_DAY, timezone=BUSINESS_TIMEZONE)
# Weeks start on Monday (day_offset=1); the week holding the first business day starts 2025-12-29.
# Weekly and monthly partitions include the running period (end_offset=1): a week- or month-to-date row
# that is restated as its days land, instead of nothing until the period is over.
weekly_partitions = WeeklyPartitionsDefinition(
    start_date="2025-12-29", day_offset=1, timezone=BUSINESS_TIMEZONE, end_offset=1
)
monthly_partitions = MonthlyPartitionsDefinition(
    start_date=FIRST_BUSINESS_DAY, timezone=BUSINESS_TIMEZONE, end_offset=1
)


def window_dates(context: AssetExecutionContext) -> tuple[date, date]:
    """First and last business day (inclusive) covered by the run's partition or partition range."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def recent_business_days(count: int, now: datetime | None = None) -> list[str]:
    """Today and the `count - 1` days before it, in business time, newest first (`YYYY-MM-DD`)."""
    today = (now or datetime.now(ZoneInfo(BUSINESS_TIMEZONE))).astimezone(ZoneInfo(BUSINESS_TIMEZONE)).date()
    return [(today - timedelta(days=i)).isoformat() for i in range(count)]
