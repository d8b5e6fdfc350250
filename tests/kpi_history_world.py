"""The world of tests/test_kpi_history.py: late data beyond the restatement window, and product history.

Generated days Thursday 2026-10-29 .. Sunday 11-08, whose day D (Friday 10-30) has a late part delivered
at D + 9, beyond the 7-day restatement window, holding the first order of customers who ordered again on
D + 3 (the next Monday, in another week and month). Added by hand: a product re-categorised twice on one
day, and an order of a product first exported 10 days after it was bought. The lane runs what the
landing sensor and automation would run, in delivery order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from contracts.shop import PRODUCTS, export_file_key
from generator.faults import FaultConfig
from generator.shop import ShopConfig, generate_shop_exports
from generator.world import CATEGORIES
from resources.storage.interface import ObjectStore
from resources.storage.local import LocalObjectStore
from tests.conftest import Lane
from tests.kpi_oracle import current_lines, current_orders, placed_at, placed_day, valid_records
from tests.shop_records import jsonl_gz

SEOUL = ZoneInfo("Asia/Seoul")
FIRST = date(2026, 10, 29)
LATE_DAY = FIRST + timedelta(days=1)
LATE_LAG_DAYS = 9
LAST = LATE_DAY + timedelta(days=LATE_LAG_DAYS)
REORDER_DAY = LATE_DAY + timedelta(days=3)
TWICE_CHANGED_DAY = FIRST + timedelta(days=2)
# Seed 1 holds back, in D's late part, the first counted order of two customers who ordered on D + 3.
CONFIG = ShopConfig(
    seed=1, orders_per_day=40, faults=FaultConfig(late_day=LATE_DAY, late_lag_days=LATE_LAG_DAYS, late_share=0.1)
)
HAND_MADE_PART = 9001
KPI_TABLES = {
    "kpi.kpi_daily_sales": "order_date",
    "kpi.kpi_daily_category_sales": "order_date, category",
    "kpi.kpi_weekly_sales": "week_start",
    "kpi.kpi_monthly_sales": "month_start",
}


@dataclass(frozen=True)
class TwiceChanged:
    """A product re-categorised twice on one day, and two of its lines placed between the changes."""

    product_id: int
    first_line: dict
    last_line: dict
    categories: tuple[str, str]


@dataclass
class History:
    lane: Lane
    late_keys: list[str]
    """The keys of D's late part."""
    twice_changed: TwiceChanged
    bought_before_export: dict
    """The hand-made line of a product first exported at LAST, placed on FIRST."""
    before_late_product: dict[str, pd.DataFrame]
    """The KPI tables once FIRST..LAST-1 were loaded, before the export of LAST."""
    before_late_part: dict[str, pd.DataFrame]
    """The KPI tables once LAST was loaded, before D's late part landed."""


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL)


def write_part(store: ObjectStore, table: str, day: date, records: list[dict]) -> None:
    """A hand-made part of `table`'s export of `day`, beside the generated ones."""
    store.write_bytes(export_file_key(table, day.isoformat(), HAND_MADE_PART), jsonl_gz(*map(json.dumps, records)))


def change_a_product_twice(source: ObjectStore, lake: ObjectStore) -> TwiceChanged:
    """Two new versions, each with another category, of a product with two counted lines placed on
    TWICE_CHANGED_DAY at different times: one version just before the first line, one between them."""
    orders = {o["order_id"]: o for o in current_orders(source) if o["status"] != "cancelled"}
    exported_that_day = {
        p["product_id"] for p in valid_records(source, PRODUCTS) if f"dt={TWICE_CHANGED_DAY}/" in p["_key"]
    }
    lines_by_product: dict[int, list[dict]] = {}
    for line in current_lines(source):
        order = orders.get(line["order_id"])
        if order and placed_day(order) == TWICE_CHANGED_DAY and line["product_id"] not in exported_that_day:
            lines_by_product.setdefault(line["product_id"], []).append({**line, "placed_at": order["placed_at"]})
    product_id, lines = next(
        (p, sorted(ls, key=placed_at))
        for p, ls in sorted(lines_by_product.items())
        if len({placed_at(line) for line in ls}) > 1
    )
    first, last = lines[0], lines[-1]
    dump = next(p for p in valid_records(source, PRODUCTS) if p["product_id"] == product_id)
    categories = tuple(c for c in CATEGORIES if c != dump["category"])[:2]
    changes = (placed_at(first) - timedelta(minutes=1), placed_at(first) + (placed_at(last) - placed_at(first)) / 2)
    versions = [
        {**{f.name: dump[f.name] for f in PRODUCTS.fields}, "category": category, "updated_at": at.isoformat()}
        for category, at in zip(categories, changes, strict=True)
    ]
    write_part(lake, "products", TWICE_CHANGED_DAY, versions)
    return TwiceChanged(product_id, first, last, categories)


def buy_a_product_not_yet_exported(source: ObjectStore, lake: ObjectStore) -> tuple[dict, dict]:
    """An order on FIRST (by a customer who bought that day already) of a product unknown until now, and
    that product's first version, exported at LAST."""
    orders, lines = current_orders(source), current_lines(source)
    products = valid_records(source, PRODUCTS)
    placed = seoul(FIRST, 12).isoformat()
    line = {
        "order_item_id": max(i["order_item_id"] for i in lines) + 1,
        "order_id": max(o["order_id"] for o in orders) + 1,
        "product_id": max(p["product_id"] for p in products) + 1,
        "quantity": 2,
        "unit_price": 15_000,
        "created_at": placed,
    }
    order = {
        "order_id": line["order_id"],
        "customer_id": min((o for o in orders if placed_day(o) == FIRST), key=placed_at)["customer_id"],
        "channel": "web",
        "status": "paid",
        "placed_at": placed,
        "updated_at": placed,
        "subtotal_amount": 30_000,
        "discount_amount": 0,
        "shipping_fee": 3_000,
        "total_amount": 33_000,
        "promo_code": None,
    }
    write_part(lake, "orders", FIRST, [order])
    write_part(lake, "order_items", FIRST, [line])
    first_export = seoul(LAST, 9).isoformat()
    product = {
        "product_id": line["product_id"],
        "sku": "BTY-01-LATE",
        "name": "Late Listed Serum",
        "category": "beauty",
        "brand": "Faro",
        "list_price": 15_000,
        "is_active": True,
        "created_at": first_export,
        "updated_at": first_export,
    }
    return line, product


def deliver(source: ObjectStore, lake: ObjectStore, keys: list[str]) -> None:
    for key in keys:
        lake.write_bytes(key, source.read_bytes(key))


def run_as_automation_would(lane: Lane, day: date) -> None:
    """The reload the landing sensor requests for `day`, then what automation builds after it: the daily
    models of that day, then the weekly and monthly partitions that contain it."""
    assert lane.run_days(day).success
    assert all(result.success for result in lane.run_everything(day, day, daily=False))


def snapshot(lane: Lane) -> dict[str, pd.DataFrame]:
    return {name: lane.table(name, order_by) for name, order_by in KPI_TABLES.items()}


def build_history(tmp_path_factory) -> History:
    """The lane after: FIRST..LAST-1 in one range run (with the hand-made parts), LAST and its late
    product, then D's late part, each followed by what automation builds. Dispose its instance."""
    source = LocalObjectStore(root=str(tmp_path_factory.mktemp("source") / "lake"))
    report = generate_shop_exports(source, FIRST, (LAST - FIRST).days + 1, CONFIG)
    assert report.late_day == LATE_DAY
    lane = Lane.local(tmp_path_factory.mktemp("history"))
    on_time = [f for f in report.files if not f.late]
    deliver(source, lane.lake, [f.key for f in on_time if f.day < LAST])
    twice_changed = change_a_product_twice(source, lane.lake)
    bought_line, late_product = buy_a_product_not_yet_exported(source, lane.lake)
    assert all(result.success for result in lane.run_everything(FIRST, LAST - timedelta(days=1)))
    before_late_product = snapshot(lane)

    deliver(source, lane.lake, [f.key for f in on_time if f.day == LAST])
    write_part(lane.lake, "products", LAST, [late_product])
    run_as_automation_would(lane, LAST)
    before_late_part = snapshot(lane)

    late_keys = [f.key for f in report.files if f.late]
    deliver(source, lane.lake, late_keys)
    run_as_automation_would(lane, LATE_DAY)
    return History(lane, late_keys, twice_changed, bought_line, before_late_product, before_late_part)
