"""The whole KPI graph on the local default, with real DuckDB and real dbt-duckdb.

The files land in delivery order (including a late part for a past day) and each day is loaded as the
sensor would request it; the resulting KPI tables must equal (1) an independent computation from the
raw files, (2) a single range run over all days on another warehouse, and (3) themselves after a
partition is re-run.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from assets.landing import LOADED_FILE_VERSIONS
from contracts.shop import export_partition_prefix
from generator.shop import ShopConfig, generate_shop_exports
from resources.storage.local import LocalObjectStore
from tests.conftest import Lane
from tests.kpi_oracle import daily_kpis

pytestmark = pytest.mark.slow  # runs the whole KPI graph with real dbt

FIRST = date(2026, 11, 2)
DAYS = 7
LAST = FIRST + timedelta(days=DAYS - 1)
CONFIG = ShopConfig(seed=11, orders_per_day=60)
KPI_TABLES = {
    "kpi.kpi_daily_sales": "order_date",
    "kpi.kpi_daily_category_sales": "order_date, category",
    "marts.fct_orders": "order_id",
    "marts.dim_customers": "customer_id",
    "marts.dim_products": "product_id",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """All files of the period, written once in delivery order, with the generator's report."""
    store = LocalObjectStore(root=str(tmp_path_factory.mktemp("source") / "lake"))
    return store, generate_shop_exports(store, FIRST, DAYS, CONFIG)


def deliver(source_store: LocalObjectStore, lake: LocalObjectStore, keys: list[str]) -> None:
    for key in keys:
        lake.write_bytes(key, source_store.read_bytes(key))


def snapshot(lane) -> dict[str, pd.DataFrame]:
    return {name: lane.table(name, order_by) for name, order_by in KPI_TABLES.items()}


def assert_same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for name in KPI_TABLES:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True, obj=name)


@pytest.fixture(scope="module")
def daily_lane(source, tmp_path_factory):
    """Files land day by day; each day is loaded when its files are in, the late part re-loads its day."""
    store, report = source
    lane = Lane.local(tmp_path_factory.mktemp("daily"))
    assert report.late_day is not None
    for day in [FIRST + timedelta(days=i) for i in range(DAYS)]:
        deliver(store, lane.lake, [f.key for f in report.files if f.day == day and not f.late])
        assert lane.run_days(day).success
        if day == FIRST:
            lane.first_day_as_first_reported = lane.table("kpi.kpi_daily_sales", "order_date").iloc[0]
        late = [f.key for f in report.files if f.late and f.last_modified <= _delivered_by(report, day)]
        if late and not getattr(lane, "_late_done", False):
            deliver(store, lane.lake, late)
            assert lane.run_days(report.late_day).success
            lane._late_done = True
    assert getattr(lane, "_late_done", False), "the late part never landed"
    yield lane
    lane.instance.dispose()


def _delivered_by(report, day):
    """The last-modified time of the last on-time file of `day`: what had landed by then."""
    return max(f.last_modified for f in report.files if f.day == day and not f.late)


@pytest.fixture(scope="module")
def range_lane(source, tmp_path_factory):
    """The same files all landed, then one single-run backfill over the whole period."""
    store, report = source
    lane = Lane.local(tmp_path_factory.mktemp("range"))
    deliver(store, lane.lake, [f.key for f in report.files])
    results = lane.run_everything(FIRST, LAST)
    assert all(r.success for r in results)
    lane.results = results
    yield lane
    lane.instance.dispose()


def test_daily_kpis_equal_an_independent_computation_from_the_raw_files(range_lane, source):
    store, _ = source
    expected = daily_kpis(store)
    actual = range_lane.table("kpi.kpi_daily_sales", "order_date")
    assert [d.date() for d in actual["order_date"]] == sorted(expected)
    for row in actual.itertuples():
        want = expected[row.order_date.date()]
        assert (row.gmv, row.net_revenue, row.orders, row.buyers, row.new_buyers, row.items_sold) == (
            want.gmv,
            want.net_revenue,
            want.orders,
            want.buyers,
            want.new_buyers,
            want.items_sold,
        ), row.order_date
        assert float(row.aov) == pytest.approx(want.aov, abs=0.005)  # stored rounded to 2 places
        assert float(row.cancel_rate) == pytest.approx(want.cancel_rate, abs=5e-5)  # stored rounded to 4 places


def test_past_days_are_restated_when_later_exports_carry_cancellations_and_refunds(daily_lane, source):
    store, _ = source
    reported = daily_lane.first_day_as_first_reported
    restated = daily_lane.table("kpi.kpi_daily_sales", "order_date").iloc[0]
    assert reported["order_date"] == restated["order_date"] == pd.Timestamp(FIRST)
    assert restated["net_revenue"] < reported["net_revenue"]  # refunds arrived days later
    assert restated["net_revenue"] == daily_kpis(store)[FIRST].net_revenue


def test_range_backfill_in_one_run_equals_day_by_day_runs_with_a_late_file(daily_lane, range_lane):
    assert_same_tables(snapshot(daily_lane), snapshot(range_lane))


def test_rerunning_a_partition_changes_nothing(range_lane):
    before = snapshot(range_lane)
    raw_before = range_lane.table("raw.orders", "order_id, _export_date")
    assert range_lane.run_days(FIRST + timedelta(days=2)).success
    assert_same_tables(before, snapshot(range_lane))
    pd.testing.assert_frame_equal(raw_before, range_lane.table("raw.orders", "order_id, _export_date"))


def test_weekly_and_monthly_rollups_cover_the_loaded_days(range_lane, source):
    store, _ = source
    expected = daily_kpis(store)
    weekly = range_lane.table("kpi.kpi_weekly_sales", "week_start")
    monthly = range_lane.table("kpi.kpi_monthly_sales", "month_start")
    week = [d for d in expected if d.isocalendar()[1] == FIRST.isocalendar()[1]]
    first_week = weekly[weekly["week_start"] == pd.Timestamp(FIRST)].iloc[0]
    assert first_week["gmv"] == sum(expected[d].gmv for d in week)
    assert first_week["orders"] == sum(expected[d].orders for d in week)
    assert monthly.iloc[0]["gmv"] == sum(k.gmv for k in expected.values())


def test_raw_loads_reconcile_and_quarantine_the_generators_malformed_lines(range_lane, source):
    _, report = source
    quarantine = range_lane.table("raw.quarantine", "source_key, line_number")
    for table in ("orders", "order_items", "customers", "products"):
        totals = report.totals(table)
        rows = len(range_lane.table(f"raw.{table}", "_source_key, _source_line"))
        quarantined = (quarantine["source_table"] == table).sum()
        assert quarantined == totals["malformed_lines"], table
        assert rows + quarantined <= totals["lines"]
    expected_lines = {(f.key, n) for f in report.files for n, _ in f.malformed}
    assert set(zip(quarantine["source_key"], quarantine["line_number"], strict=True)) == expected_lines


def test_dashboard_report_is_published_with_the_kpis(range_lane):
    html = (range_lane.settings.reports_dir / "kpi_report.html").read_text()
    last = range_lane.table("kpi.kpi_daily_sales", "order_date").iloc[-1]
    assert f"{int(last['gmv']):,}" in html


def test_every_warehouse_write_records_row_count_and_column_schema(range_lane):
    materializations = [m for r in range_lane.results for m in r.get_asset_materialization_events()]
    seen = set()
    for event in materializations:
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key
        if key.path[0] != "snowflake":
            continue
        seen.add(key.path[-1])
        metadata = materialization.metadata
        schema, table = key.path[-2], key.path[-1]
        rows = range_lane.table(f"{schema}.{table}", "1")
        if schema == "raw":  # a raw load's figures are its partition's day, not the range's
            rows = rows[rows["_export_date"].astype(str) == materialization.partition]
            day_prefix = export_partition_prefix(table, materialization.partition)
            loaded = metadata[LOADED_FILE_VERSIONS].value
            assert loaded and all(version.startswith(day_prefix) for version in loaded), key
        assert metadata["dagster/row_count"].value == len(rows), (key, materialization.partition)
        assert {c.name for c in metadata["dagster/column_schema"].value.columns} >= {"_export_date"} or schema != "raw"
    assert {"orders", "fct_orders", "kpi_daily_sales", "kpi_weekly_sales", "kpi_monthly_sales"} <= seen
