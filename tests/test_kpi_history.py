"""History in the KPI models: late data restates every day whose numbers it changes, however old, and
every product version counts (the world: tests/kpi_history_world.py). Every KPI table must equal
tests/kpi_oracle.py's recomputation from the landed files.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest

from contracts.shop import ORDERS, PRODUCTS
from tests.kpi_history_world import (
    FIRST,
    LAST,
    LATE_DAY,
    REORDER_DAY,
    TWICE_CHANGED_DAY,
    History,
    build_history,
    run_as_automation_would,
    snapshot,
)
from tests.kpi_oracle import (
    CategoryKpi,
    SalesKpi,
    category_at,
    category_kpis,
    current_orders,
    daily_kpis,
    monthly_kpis,
    placed_at,
    placed_day,
    valid_records,
    weekly_kpis,
)

pytestmark = pytest.mark.slow  # runs the whole KPI graph with real dbt


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    built = build_history(tmp_path_factory)
    yield built
    built.lane.instance.dispose()


INTEGER_MEASURES = ("gmv", "net_revenue", "orders", "buyers", "new_buyers", "items_sold")


def assert_sales_table_equals(frame: pd.DataFrame, period_column: str, expected: dict[date, SalesKpi]) -> None:
    actual = {row[period_column].date(): row for row in frame.to_dict("records")}
    assert sorted(actual) == sorted(expected)
    for period, want in expected.items():
        row = actual[period]
        assert {m: row[m] for m in INTEGER_MEASURES} == {m: getattr(want, m) for m in INTEGER_MEASURES}, period
        if want.aov is None:
            assert pd.isna(row["aov"]), period
        else:
            assert float(row["aov"]) == stored_ratio(want.gmv, want.orders, 2), period
        cancelled = want.placed_orders - want.orders
        assert float(row["cancel_rate"]) == stored_ratio(cancelled, want.placed_orders, 4), period


def stored_ratio(numerator: int, denominator: int, places: int) -> float:
    """A ratio as the KPI tables store it: rounded to `places`, halves away from zero (SQL's round)."""
    exact = Decimal(numerator) / Decimal(denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def new_buyers(tables: dict[str, pd.DataFrame], table: str, period_column: str, period: date) -> int:
    frame = tables[table]
    return int(frame.loc[frame[period_column] == pd.Timestamp(period), "new_buyers"].iloc[0])


def category_rows(frame: pd.DataFrame) -> dict[tuple[date, str], CategoryKpi]:
    return {
        (row["order_date"].date(), row["category"]): CategoryKpi(
            gmv=row["gmv"], items_sold=row["items_sold"], orders=row["orders"], buyers=row["buyers"]
        )
        for row in frame.to_dict("records")
    }


def day_of(cells: dict[tuple[date, str], CategoryKpi], day: date) -> dict[tuple[date, str], CategoryKpi]:
    return {cell: kpi for cell, kpi in cells.items() if cell[0] == day}


def customers_first_ordering_in_the_late_part(history: History) -> set[int]:
    late_orders = {r["order_id"] for r in valid_records(history.lane.lake, ORDERS) if r["_key"] in history.late_keys}
    counted = sorted((o for o in current_orders(history.lane.lake) if o["status"] != "cancelled"), key=placed_at)
    first: dict[int, dict] = {}
    for order in counted:
        first.setdefault(order["customer_id"], order)
    reordering = {o["customer_id"] for o in counted if placed_day(o) == REORDER_DAY}
    return {c for c, order in first.items() if order["order_id"] in late_orders and c in reordering}


def test_a_late_part_restates_new_buyers_on_the_later_days_it_changes(history):
    assert customers_first_ordering_in_the_late_part(history), "the scenario needs such a customer"
    after = snapshot(history.lane)
    assert_sales_table_equals(after["kpi.kpi_daily_sales"], "order_date", daily_kpis(history.lane.lake))
    day = ("kpi.kpi_daily_sales", "order_date", REORDER_DAY)
    assert new_buyers(after, *day) < new_buyers(history.before_late_part, *day)  # 3 days after the late day


def test_weekly_and_monthly_rollups_follow_a_late_part_into_later_periods(history):
    lake = history.lane.lake
    after = snapshot(history.lane)
    assert_sales_table_equals(after["kpi.kpi_weekly_sales"], "week_start", weekly_kpis(lake))
    assert_sales_table_equals(after["kpi.kpi_monthly_sales"], "month_start", monthly_kpis(lake))
    # The reorder day falls in the week and month after the late day's: those follow too.
    week = ("kpi.kpi_weekly_sales", "week_start", REORDER_DAY - timedelta(days=REORDER_DAY.weekday()))
    month = ("kpi.kpi_monthly_sales", "month_start", REORDER_DAY.replace(day=1))
    assert week[2] > LATE_DAY and month[2] > LATE_DAY
    assert new_buyers(after, *week) < new_buyers(history.before_late_part, *week)
    assert new_buyers(after, *month) < new_buyers(history.before_late_part, *month)


def test_a_product_changed_twice_in_a_day_puts_each_line_in_the_category_in_effect(history):
    twice = history.twice_changed
    lake = history.lane.lake
    versions = [p for p in valid_records(lake, PRODUCTS) if p["product_id"] == twice.product_id]
    assert category_at(versions, placed_at(twice.first_line)) == twice.categories[0]
    assert category_at(versions, placed_at(twice.last_line)) == twice.categories[1]
    table = category_rows(history.lane.table("kpi.kpi_daily_category_sales", "order_date, category"))
    actual = day_of(table, TWICE_CHANGED_DAY)
    assert actual == day_of(category_kpis(lake), TWICE_CHANGED_DAY)
    assert {(TWICE_CHANGED_DAY, c) for c in twice.categories} <= set(actual)


def test_a_product_first_exported_after_it_was_bought_takes_its_earliest_version(history):
    line = history.bought_before_export
    before = category_rows(history.before_late_product["kpi.kpi_daily_category_sales"])
    assert before[(FIRST, "unknown")].items_sold == line["quantity"]  # not exported yet: unknown
    # Right after the run of LAST (10 days later, FIRST outside its restatement window), before the reload
    # of D restated FIRST anyway. D's late part holds orders of D only, so FIRST's expected rows are the same.
    after_export = category_rows(history.before_late_part["kpi.kpi_daily_category_sales"])
    assert (FIRST, "unknown") not in after_export
    assert day_of(after_export, FIRST) == day_of(category_kpis(history.lane.lake), FIRST)


def test_the_category_split_equals_the_independent_computation_on_every_day(history):
    table = category_rows(history.lane.table("kpi.kpi_daily_category_sales", "order_date, category"))
    assert table == category_kpis(history.lane.lake)


def test_reloading_the_late_day_again_changes_nothing(history):
    before = snapshot(history.lane)
    run_as_automation_would(history.lane, LATE_DAY)
    for name, frame in snapshot(history.lane).items():
        pd.testing.assert_frame_equal(before[name], frame, check_exact=True, obj=name)


def test_a_daily_run_leaves_the_days_its_exports_cannot_change_alone(history):
    """Really incremental: re-running LAST recomputes the days its exports can change (orders placed from
    LAST - 7 on, and their customers' later days), not FIRST, so a marker written into FIRST's row
    survives the run."""
    lane = history.lane

    def set_new_buyers(value: int) -> int:
        with duckdb.connect(str(lane.warehouse.path)) as con:
            where = "WHERE order_date = $day"
            previous = con.execute(f"SELECT new_buyers FROM kpi.kpi_daily_sales {where}", {"day": FIRST}).fetchone()
            con.execute(f"UPDATE kpi.kpi_daily_sales SET new_buyers = $v {where}", {"v": value, "day": FIRST})
        return previous[0]

    original = set_new_buyers(0)  # a value every KPI check still accepts
    assert original > 0  # the first day's buyers are all new
    try:
        assert lane.run_days(LAST).success
        assert new_buyers(snapshot(lane), "kpi.kpi_daily_sales", "order_date", FIRST) == 0
    finally:
        set_new_buyers(original)
