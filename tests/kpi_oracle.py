"""An independent computation of the KPIs straight from the raw export files, in plain Python.

It shares nothing with the pipeline but the contracts: its own JSON parsing and validation, its own
de-duplication, its own KPI arithmetic, following docs/kpi_semantics.md. The pipeline's KPI tables
must equal what this computes.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from contracts.schema import Field, TableContract
from contracts.shop import ORDER_ITEMS, ORDERS
from resources.storage.interface import ObjectStore

SEOUL = ZoneInfo("Asia/Seoul")


def _valid_value(f: Field, value: object) -> bool:
    if value is None:
        return not f.required
    if f.type in ("bigint", "integer"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif f.type == "double":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
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
class DailyKpi:
    gmv: int
    net_revenue: int
    orders: int
    buyers: int
    new_buyers: int
    aov: float | None
    items_sold: int
    cancel_rate: float


def placed_day(order: dict) -> date:
    return datetime.fromisoformat(order["placed_at"]).astimezone(SEOUL).date()


def daily_kpis(store: ObjectStore) -> dict[date, DailyKpi]:
    orders = list(latest(valid_records(store, ORDERS), ORDERS).values())
    items = latest(valid_records(store, ORDER_ITEMS), ORDER_ITEMS).values()
    quantity = defaultdict(int)
    for item in items:
        quantity[item["order_id"]] += item["quantity"]
    counted = [o for o in orders if o["status"] != "cancelled"]
    first_order_day: dict[int, date] = {}
    for o in sorted(counted, key=lambda o: datetime.fromisoformat(o["placed_at"])):
        first_order_day.setdefault(o["customer_id"], placed_day(o))
    by_day: dict[date, list[dict]] = defaultdict(list)
    for o in orders:
        by_day[placed_day(o)].append(o)
    result = {}
    for day, placed in by_day.items():
        kept = [o for o in placed if o["status"] != "cancelled"]
        buyers = {o["customer_id"] for o in kept}
        gmv = sum(o["subtotal_amount"] for o in kept)
        result[day] = DailyKpi(
            gmv=gmv,
            net_revenue=sum(o["subtotal_amount"] - o["discount_amount"] for o in kept if o["status"] == "paid"),
            orders=len(kept),
            buyers=len(buyers),
            new_buyers=sum(1 for c in buyers if first_order_day[c] == day),
            aov=gmv / len(kept) if kept else None,
            items_sold=sum(quantity[o["order_id"]] for o in kept),
            cancel_rate=(len(placed) - len(kept)) / len(placed),
        )
    return result


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
