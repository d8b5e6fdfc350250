"""An independent computation of the KPIs straight from the raw export files, in plain Python.

It shares nothing with the pipeline but the contracts: its own JSON parsing and validation, its own
de-duplication, its own KPI arithmetic and product-version rule, following docs/kpi_semantics.md. The
pipeline's KPI tables (daily, by category, weekly, monthly) must equal what this computes from the
files that have landed, once every landed day is loaded.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.schema import MAX_LINE_BYTES, Field, TableContract
from contracts.shop import ORDER_ITEMS, ORDERS, PRODUCTS
from resources.storage.interface import ObjectStore

SEOUL = ZoneInfo("Asia/Seoul")


# docs/shop_exports.md: integers are exact over their column's range; a number with a fraction or an
# exponent is a double, an integer when whole and below 2^53 in magnitude.
_INTEGER_RANGES = {"bigint": 2**63, "integer": 2**31}
_EXACT_DOUBLE = 2**53


def _is_integer(value: object, bound: int) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer() and abs(value) < _EXACT_DOUBLE
    return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound


def _valid_value(f: Field, value: object) -> bool:
    if value is None:
        return not f.required
    if f.type in _INTEGER_RANGES:
        ok = _is_integer(value, _INTEGER_RANGES[f.type])
    elif f.type == "double":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif f.type == "boolean":
        ok = isinstance(value, bool)
    elif f.type == "timestamptz":
        try:
            ok = isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            ok = False
    else:
        ok = isinstance(value, str)
    if ok and f.allowed is not None:
        ok = value in f.allowed
    if ok and f.min_value is not None:
        ok = value >= f.min_value
    return ok


def valid_records(store: ObjectStore, contract: TableContract) -> list[dict]:
    """Every valid record of every landed file of a table, with where it came from."""
    records = []
    for obj in store.list_objects(f"shop/{contract.name}/"):
        for line_no, line in enumerate(gzip.decompress(store.read_bytes(obj.key)).decode().split("\n")[:-1], 1):
            if len(line.encode()) > MAX_LINE_BYTES:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and all(_valid_value(f, record.get(f.name)) for f in contract.fields):
                records.append({**record, "_key": obj.key, "_line": line_no})
    return records


def latest(records: list[dict], contract: TableContract) -> dict[tuple, dict]:
    """The newest version of each primary key (ties: the later file, then the later line)."""

    def version(r: dict) -> tuple:
        return (datetime.fromisoformat(r[contract.version_field]), r["_key"], r["_line"])

    best: dict[tuple, dict] = {}
    for r in records:
        key = tuple(r[k] for k in contract.primary_key)
        if key not in best or version(r) > version(best[key]):
            best[key] = r
    return best


@dataclass(frozen=True)
class SalesKpi:
    gmv: int
    net_revenue: int
    orders: int
    buyers: int
    new_buyers: int
    aov: float | None
    items_sold: int
    cancel_rate: float
    placed_orders: int
    """Orders placed in the period, cancelled ones included: the denominator of cancel_rate."""


@dataclass(frozen=True)
class CategoryKpi:
    gmv: int
    items_sold: int
    orders: int
    buyers: int


def placed_at(order: dict) -> datetime:
    return datetime.fromisoformat(order["placed_at"])


def placed_day(order: dict) -> date:
    return placed_at(order).astimezone(SEOUL).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def current_orders(store: ObjectStore) -> list[dict]:
    return list(latest(valid_records(store, ORDERS), ORDERS).values())


def current_lines(store: ObjectStore) -> list[dict]:
    return list(latest(valid_records(store, ORDER_ITEMS), ORDER_ITEMS).values())


def sales_kpis(store: ObjectStore, period_of: Callable[[date], date]) -> dict[date, SalesKpi]:
    """The sales KPIs per period (`period_of` maps a placement day to its period's first day)."""
    orders = current_orders(store)
    quantity: dict[int, int] = defaultdict(int)
    for line in current_lines(store):
        quantity[line["order_id"]] += line["quantity"]
    counted = [o for o in orders if o["status"] != "cancelled"]
    first_order_period: dict[int, date] = {}
    for o in sorted(counted, key=placed_at):
        first_order_period.setdefault(o["customer_id"], period_of(placed_day(o)))
    by_period: dict[date, list[dict]] = defaultdict(list)
    for o in orders:
        by_period[period_of(placed_day(o))].append(o)
    result = {}
    for period, placed in by_period.items():
        kept = [o for o in placed if o["status"] != "cancelled"]
        buyers = {o["customer_id"] for o in kept}
        gmv = sum(o["subtotal_amount"] for o in kept)
        result[period] = SalesKpi(
            gmv=gmv,
            net_revenue=sum(o["subtotal_amount"] - o["discount_amount"] for o in kept if o["status"] == "paid"),
            orders=len(kept),
            buyers=len(buyers),
            new_buyers=sum(1 for c in buyers if first_order_period[c] == period),
            aov=gmv / len(kept) if kept else None,
            items_sold=sum(quantity[o["order_id"]] for o in kept),
            cancel_rate=(len(placed) - len(kept)) / len(placed),
            placed_orders=len(placed),
        )
    return result


def daily_kpis(store: ObjectStore) -> dict[date, SalesKpi]:
    return sales_kpis(store, lambda day: day)


def weekly_kpis(store: ObjectStore) -> dict[date, SalesKpi]:
    return sales_kpis(store, week_start)


def monthly_kpis(store: ObjectStore) -> dict[date, SalesKpi]:
    return sales_kpis(store, month_start)


def category_at(versions: list[dict], at: datetime) -> str:
    """The category of the product version in effect at `at`: the greatest updated_at <= at, else the
    earliest version; equal updated_at: the later file, then line. `unknown` without any version."""
    if not versions:
        return "unknown"

    def updated(v: dict) -> datetime:
        return datetime.fromisoformat(v["updated_at"])

    in_effect = [v for v in versions if updated(v) <= at]
    if in_effect:
        return max(in_effect, key=lambda v: (updated(v), v["_key"], v["_line"]))["category"]
    earliest = min(updated(v) for v in versions)
    return max((v for v in versions if updated(v) == earliest), key=lambda v: (v["_key"], v["_line"]))["category"]


def category_kpis(store: ObjectStore) -> dict[tuple[date, str], CategoryKpi]:
    """Per (placement day, category): every line of a known order counts its day and category; the
    measures count the lines of counted (non-cancelled) orders only."""
    orders = {o["order_id"]: o for o in current_orders(store)}
    versions: dict[int, list[dict]] = defaultdict(list)
    for record in valid_records(store, PRODUCTS):
        versions[record["product_id"]].append(record)
    cells: dict[tuple[date, str], list[tuple[dict, dict]]] = defaultdict(list)
    for line in current_lines(store):
        order = orders.get(line["order_id"])
        if order is not None:
            cell = (placed_day(order), category_at(versions[line["product_id"]], placed_at(order)))
            cells[cell].append((line, order))
    result = {}
    for cell, lines in cells.items():
        kept = [(line, order) for line, order in lines if order["status"] != "cancelled"]
        result[cell] = CategoryKpi(
            gmv=sum(line["quantity"] * line["unit_price"] for line, _ in kept),
            items_sold=sum(line["quantity"] for line, _ in kept),
            orders=len({order["order_id"] for _, order in kept}),
            buyers=len({order["customer_id"] for _, order in kept}),
        )
    return result


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
