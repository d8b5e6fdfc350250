"""Declarative automation: downstream models follow their raw tables for any day, but never build a day
whose raw inputs have not all landed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg

from assets.kpi.keys import raw_table_key
from contracts.shop import SHOP_TABLES
from generator.shop import ShopConfig, generate_shop_exports
from tests.conftest import step_failures

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
FCT_ORDERS = dg.AssetKey(["snowflake", "marts", "fct_orders"])
KPI_DAILY = dg.AssetKey(["snowflake", "kpi", "kpi_daily_sales"])
KPI_BY_CATEGORY = dg.AssetKey(["snowflake", "kpi", "kpi_daily_category_sales"])
# What the automation sensor requested in `make dev` for a day whose products were still loading.
SALES_MODELS = [
    dg.AssetKey(["snowflake", *path.split(".")])
    for path in (
        "staging.stg_orders",
        "staging.stg_customers",
        "staging.stg_order_items",
        "marts.dim_customers",
        "marts.fct_orders",
        "kpi.kpi_daily_sales",
    )
]
CATEGORY_MODELS = [
    dg.AssetKey(["snowflake", *path.split(".")])
    for path in ("staging.stg_products", "marts.dim_products", "kpi.kpi_daily_category_sales")
]


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


def test_what_automation_requests_while_a_days_products_are_still_loading_runs_green(make_lane):
    """The decision above, run for real: a day's sales models without its category split (its products
    are still loading) must not fail on the test comparing the two (sums_match), which would read the
    split's stale rows; once the products are loaded the split follows and the sums match."""
    lane = make_lane()
    generate_shop_exports(lane.lake, date(2026, 11, 2), 2, ShopConfig(seed=5, orders_per_day=40))
    lane.run_days(date(2026, 11, 2))
    result = lane.run_days(
        date(2026, 11, 3), keys=[*(raw_table_key(c.name) for c in SHOP_TABLES[:3]), *SALES_MODELS], raise_on_error=False
    )
    assert result.success, step_failures(result)
    lane.run_days(date(2026, 11, 3), keys=[raw_table_key("products"), *CATEGORY_MODELS])
    daily = lane.table("kpi.kpi_daily_sales", "order_date")
    by_category = lane.table("kpi.kpi_daily_category_sales", "order_date")
    assert by_category.groupby("order_date")["items_sold"].sum().tolist() == daily["items_sold"].tolist()
