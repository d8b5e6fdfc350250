"""Declarative automation: downstream models follow their raw tables for any day, but never build a day
whose raw inputs have not all landed."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from assets.kpi import raw_table_key
from contracts.shop import SHOP_TABLES

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
FCT_ORDERS = dg.AssetKey(["snowflake", "marts", "fct_orders"])
KPI_DAILY = dg.AssetKey(["snowflake", "kpi", "kpi_daily_sales"])
KPI_BY_CATEGORY = dg.AssetKey(["snowflake", "kpi", "kpi_daily_category_sales"])


def evaluate(lane, cursor=None):
    return dg.evaluate_automation_conditions(defs=lane.defs, instance=lane.instance, evaluation_time=NOW, cursor=cursor)


def run_what_was_requested(instance: dg.DagsterInstance, result) -> None:
    """Record the materializations the requested runs would produce (the runs themselves are tested
    in test_kpi_pipeline.py; here only the decisions are)."""
    for key, partitions in result._requested_partitions_by_asset_key.items():
        for partition in partitions:
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))


def land(instance: dg.DagsterInstance, day: str, tables=SHOP_TABLES) -> None:
    for contract in tables:
        instance.report_runless_asset_event(dg.AssetMaterialization(raw_table_key(contract.name), partition=day))


def test_models_follow_loaded_days_and_wait_for_missing_raw_inputs(make_lane):
    lane = make_lane()
    start = evaluate(lane)  # the automation sensor's first tick: nothing has landed yet
    land(lane.instance, "2026-11-03")
    land(lane.instance, "2026-11-04", tables=SHOP_TABLES[:3])  # products of 11-04 not yet landed
    first = evaluate(lane, start.cursor)
    # Sales need orders and items only; the category split also needs the products of the day.
    assert first.get_requested_partitions(FCT_ORDERS) == {"2026-11-03", "2026-11-04"}
    assert first.get_requested_partitions(KPI_DAILY) == {"2026-11-03", "2026-11-04"}
    assert first.get_requested_partitions(KPI_BY_CATEGORY) == {"2026-11-03"}
    run_what_was_requested(lane.instance, first)

    land(lane.instance, "2026-11-04", tables=SHOP_TABLES[3:])
    second = evaluate(lane, first.cursor)
    assert second.get_requested_partitions(KPI_BY_CATEGORY) == {"2026-11-04"}


def test_a_late_file_for_a_past_day_rebuilds_that_day(make_lane):
    lane = make_lane()
    start = evaluate(lane)
    land(lane.instance, "2026-10-01")
    first = evaluate(lane, start.cursor)
    assert first.get_requested_partitions(KPI_DAILY) == {"2026-10-01"}
    run_what_was_requested(lane.instance, first)
    quiet = evaluate(lane, first.cursor)  # the sensor ticks on while nothing lands
    assert quiet.get_requested_partitions(FCT_ORDERS) == set()
    land(lane.instance, "2026-10-01", tables=SHOP_TABLES[:1])  # a late part of the orders export
    later = evaluate(lane, quiet.cursor)
    assert later.get_requested_partitions(FCT_ORDERS) == {"2026-10-01"}
