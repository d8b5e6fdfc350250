"""The shop export generator: determinism, contracts, faults, late delivery, arithmetic and realism."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from contracts.schema import TableContract
from contracts.shop import SHOP_TABLES, TABLES_BY_NAME
from generator import (
    MALFORMED_KINDS,
    STATUS_CHANGE_WINDOW_DAYS,
    FaultConfig,
    GenerationReport,
    ShopConfig,
    ShopSimulator,
    World,
    generate_shop_exports,
)
from generator.__main__ import main as cli_main
from resources.storage.local import LocalObjectStore

START = date(2026, 11, 1)
DAYS = 14
LATE_DAY = START + timedelta(days=1)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$")
CLEAN = FaultConfig(malformed_rate=0, duplicate_rate=0, late_day=None)


def generate(root, start=START, days=DAYS, **config) -> tuple[LocalObjectStore, GenerationReport]:
    store = LocalObjectStore(root=str(root))
    return store, generate_shop_exports(store, start, days, ShopConfig(**config))


def read_lines(store: LocalObjectStore, key: str) -> list[str]:
    return gzip.decompress(store.read_bytes(key)).decode().splitlines()


def all_files(store: LocalObjectStore) -> dict[str, bytes]:
    return {o.key: store.read_bytes(o.key) for o in store.list_objects("shop/")}


def violations(contract: TableContract, line: str) -> set[str]:
    """The malformed kinds a line shows against its contract (empty for a valid record)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return {"invalid_json"}
    found = set()
    for f in contract.fields:
        value = record.get(f.name)
        if value is None:
            if f.required:
                found.add("missing_required")
            continue
        type_ok = {
            "bigint": isinstance(value, int) and not isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "varchar": isinstance(value, str),
            "timestamptz": isinstance(value, str) and bool(TIMESTAMP.match(value)),
        }[f.type]
        if not type_ok:
            found.add("wrong_type")
        elif f.allowed and value not in f.allowed:
            found.add("not_allowed")
        elif f.min_value is not None and value < f.min_value:
            found.add("below_min")
    return found


def records(store: LocalObjectStore, report: GenerationReport, table: str) -> list[tuple[str, dict]]:
    """(key, record) of every valid line of a table, duplicates included, in delivery order."""
    out = []
    for f in report.for_table(table):
        bad = {n for n, _ in f.malformed}
        out += [(f.key, json.loads(x)) for n, x in enumerate(read_lines(store, f.key), 1) if n not in bad]
    return out


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """Two weeks at the default scale and fault rates, the late part of day 2 included."""
    return generate(tmp_path_factory.mktemp("lake"), seed=7, faults=FaultConfig(late_day=LATE_DAY))


@pytest.fixture(scope="module")
def clean_lake(tmp_path_factory):
    """The same world without faults, for the arithmetic."""
    return generate(tmp_path_factory.mktemp("clean"), seed=7, faults=CLEAN)


@pytest.fixture(scope="module")
def eight_weeks():
    """Orders of 56 simulated days (no files): enough for weekly and popularity statistics."""
    world = World(ShopConfig(seed=11).world_config(START))
    shop = ShopSimulator(world, orders_per_day=300)
    return world, [shop.orders_placed_on(START + timedelta(days=d)) for d in range(56)]


# -- determinism -----------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(lake, tmp_path):
    store, _ = lake
    again, _ = generate(tmp_path, seed=7, faults=FaultConfig(late_day=LATE_DAY))
    assert all_files(again) == all_files(store)


def test_other_seed_gives_other_files(lake, tmp_path):
    store, _ = lake
    other, _ = generate(tmp_path, seed=8, days=2, faults=FaultConfig(late_day=None))
    key = "shop/orders/dt=2026-11-01/part-0000.jsonl.gz"
    assert other.read_bytes(key) != store.read_bytes(key)


def test_sub_range_gives_the_same_bytes_for_the_same_days(lake, tmp_path):
    store, _ = lake
    sub, report = generate(
        tmp_path, start=START + timedelta(days=1), days=6, seed=7, world_start=START,
        faults=FaultConfig(late_day=LATE_DAY),
    )  # fmt: skip
    full = all_files(store)
    files = all_files(sub)
    assert {f.key for f in report.files if f.late}, "the sub-range holds the late day and its delivery"
    assert files == {key: full[key] for key in files}
    assert len(files) == 6 * 4 + 2


# -- contracts and reconciliation ------------------------------------------------------------------------


def test_every_line_is_what_the_report_says(lake):
    store, report = lake
    for f in report.files:
        lines = read_lines(store, f.key)
        contract = TABLES_BY_NAME[f.table]
        malformed = dict(f.malformed)
        assert len(lines) == f.lines == f.valid_records + f.malformed_lines + f.duplicate_lines
        for number, line in enumerate(lines, 1):
            if number in malformed:
                assert violations(contract, line) == {malformed[number]}, (f.key, number, line)
            else:
                assert violations(contract, line) == set(), (f.key, number, line)
                assert list(json.loads(line)) == list(contract.field_names)


def test_duplicates_are_exact_copies_within_a_file(lake):
    store, report = lake
    for f in report.files:
        copies = sum(n - 1 for n in Counter(read_lines(store, f.key)).values())
        assert copies == f.duplicate_lines, f.key
    assert sum(f.duplicate_lines for f in report.files) > 0


def test_default_rates_are_respected(lake):
    _, report = lake
    lines = sum(f.lines for f in report.files)
    malformed = sum(f.malformed_lines for f in report.files)
    duplicates = sum(f.duplicate_lines for f in report.files)
    assert 0.0005 < malformed / lines < 0.005
    assert 0.006 < duplicates / lines < 0.015


def test_malformed_share_follows_the_rate_and_every_kind_appears(tmp_path):
    _, report = generate(tmp_path, days=3, faults=FaultConfig(malformed_rate=0.05, duplicate_rate=0))
    lines = sum(f.lines for f in report.files)
    kinds = Counter(kind for f in report.files for _, kind in f.malformed)
    assert 0.04 < sum(kinds.values()) / lines < 0.06
    assert set(kinds) == set(MALFORMED_KINDS)


def test_files_follow_the_key_layout_and_every_day_has_every_table(lake):
    _, report = lake
    days = {START + timedelta(days=d) for d in range(DAYS)}
    for contract in SHOP_TABLES:
        first_parts = {f.day for f in report.for_table(contract.name) if f.part == 0}
        assert first_parts == days
    for f in report.files:
        assert f.key == f"shop/{f.table}/dt={f.day.isoformat()}/part-{f.part:04d}.jsonl.gz"


def test_large_days_are_split_into_parts(tmp_path):
    store, report = generate(tmp_path, days=4, max_lines_per_file=200, faults=FaultConfig(late_day=START))
    items = [f for f in report.for_table("order_items") if f.day == START]
    assert len(items) > 3 and all(f.lines <= 200 for f in items)
    assert [f.part for f in items] == list(range(len(items)))
    assert items[-1].late and not items[-2].late


# -- late delivery ---------------------------------------------------------------------------------------


def test_late_part_is_listed_after_the_files_of_two_days_later(lake):
    store, report = lake
    listing = sorted(store.list_objects("shop/"))  # by (last_modified, key, etag): the sensor's order
    keys = [o.key for o in listing]
    late = [f.key for f in report.files if f.late]
    assert late == [
        "shop/orders/dt=2026-11-02/part-0001.jsonl.gz",
        "shop/order_items/dt=2026-11-02/part-0001.jsonl.gz",
    ]
    day_after_next = [k for k in keys if "dt=2026-11-03" in k or "dt=2026-11-04" in k]
    assert min(keys.index(k) for k in late) > max(keys.index(k) for k in day_after_next)
    assert listing[keys.index(late[0])].last_modified > max(
        o.last_modified for o in listing if "dt=2026-11-04" in o.key
    )


def test_late_part_carries_about_three_percent_of_the_day_and_completes_it(lake, clean_lake):
    store, report = lake
    clean_store, clean_report = clean_lake
    day_orders = {
        r["order_id"] for k, r in records(store, report, "orders") if "dt=2026-11-02" in k and r["status"] == "paid"
    }
    late_orders = {r["order_id"] for k, r in records(store, report, "orders") if k.endswith("part-0001.jsonl.gz")}
    clean = {r["order_id"] for k, r in records(clean_store, clean_report, "orders") if "dt=2026-11-02" in k}
    assert 0.005 < len(late_orders) / len(clean) < 0.08
    assert len(day_orders) >= len(clean) * 0.98  # all but the malformed ones
    late_items = {r["order_id"] for k, r in records(store, report, "order_items") if "part-0001" in k}
    assert late_items <= late_orders


# -- semantics and arithmetic ----------------------------------------------------------------------------


def test_order_amounts_add_up_and_prices_are_the_catalog_price_at_the_time(clean_lake):
    store, report = clean_lake
    items = defaultdict(list)
    for _, r in records(store, report, "order_items"):
        items[r["order_id"]].append(r)
    prices = defaultdict(list)
    for _, r in records(store, report, "products"):
        prices[r["product_id"]].append((ts(r["updated_at"]), r["list_price"], r["is_active"]))
    orders = [r for _, r in records(store, report, "orders") if r["status"] == "paid"]
    assert len(orders) == len(items) > 3000
    for o in orders:
        lines = items[o["order_id"]]
        assert o["subtotal_amount"] == sum(i["quantity"] * i["unit_price"] for i in lines)
        assert 0 <= o["discount_amount"] <= o["subtotal_amount"]
        assert o["shipping_fee"] == (3000 if o["subtotal_amount"] < 50_000 else 0)
        assert o["total_amount"] == o["subtotal_amount"] - o["discount_amount"] + o["shipping_fee"]
        for i in lines:
            assert i["created_at"] == o["placed_at"]
            _, price, active = max(v for v in prices[i["product_id"]] if v[0] <= ts(i["created_at"]))
            assert (i["unit_price"], active) == (price, True)


def test_status_changes_happen_within_the_window(clean_lake):
    store, report = clean_lake
    versions = defaultdict(list)
    for key, r in records(store, report, "orders"):
        assert key.split("dt=")[1][:10] == r["updated_at"][:10], "a version lands in the file of its day"
        versions[r["order_id"]].append(r)
    changed = Counter()
    for rows in versions.values():
        rows.sort(key=lambda r: ts(r["updated_at"]))
        assert rows[0]["status"] == "paid" and rows[0]["updated_at"] == rows[0]["placed_at"]
        for later in rows[1:]:
            delay = ts(later["updated_at"]) - ts(later["placed_at"])
            changed[later["status"]] += 1
            if later["status"] == "cancelled":
                assert timedelta(0) < delay < timedelta(days=1)
            else:
                assert later["status"] == "refunded"
                assert timedelta(days=2) <= delay < timedelta(days=STATUS_CHANGE_WINDOW_DAYS)
        assert len(rows) <= 2
    assert 0.02 < changed["cancelled"] / len(versions) < 0.07
    assert changed["refunded"] > 0


def test_first_day_is_a_full_dump_and_later_days_carry_changes(clean_lake):
    store, report = clean_lake
    world = World(ShopConfig(seed=7).world_config(START))
    dump = [r for k, r in records(store, report, "customers") if "dt=2026-11-01" in k]
    assert len(dump) == len(world.customers_on(START))
    for key, r in records(store, report, "customers") + records(store, report, "products"):
        if "dt=2026-11-01" not in key:
            assert key.split("dt=")[1][:10] == r["updated_at"][:10]
    later = [r for k, r in records(store, report, "products") if "dt=2026-11-01" not in k]
    assert 0 < len(later) < len(world.products_on(START)) / 2


def test_ids_are_unique_and_stable_across_days(clean_lake):
    store, report = clean_lake
    paid = [r for _, r in records(store, report, "orders") if r["status"] == "paid"]
    lines = [r["order_item_id"] for _, r in records(store, report, "order_items")]
    assert len({r["order_id"] for r in paid}) == len(paid) and len(set(lines)) == len(lines)
    assert all(str(r["order_id"])[:8] == r["placed_at"][:10].replace("-", "") for r in paid)


# -- realism -----------------------------------------------------------------------------------------------


def test_weekly_and_intraday_seasonality_are_visible(eight_weeks):
    world, days = eight_weeks
    by_weekday = defaultdict(list)
    for orders in days:
        if world.promo_on(orders.day) is None:
            by_weekday[orders.day.weekday()].append(len(orders))
    weekend = np.mean(by_weekday[5] + by_weekday[6])
    midweek = np.mean(by_weekday[1] + by_weekday[2] + by_weekday[3])
    assert weekend > 1.1 * midweek
    hours = np.bincount(np.concatenate([o.placed_ts % 86_400 // 3600 for o in days]), minlength=24)
    assert hours[19:23].mean() > 5 * hours[2:6].mean()


def test_promotion_days_lift_volume_and_use_their_code(eight_weeks):
    world, days = eight_weeks
    eleventh = next(o for o in days if o.day.day == 11)
    normal = np.mean([len(o) for o in days if world.promo_on(o.day) is None])
    assert len(eleventh) > 1.4 * normal
    code = eleventh.promo_codes.index(world.promo_on(eleventh.day).code)
    assert np.mean(eleventh.promo == code) > 0.5


def test_product_popularity_is_zipf_like(eight_weeks):
    _, days = eight_weeks
    _, units = np.unique(np.concatenate([o.product_id for o in days]), return_counts=True)
    units = np.sort(units)[::-1]
    assert units[: len(units) // 10].sum() > 0.5 * units.sum()
    top = np.arange(1, 101)
    slope = np.polyfit(np.log(top), np.log(units[:100]), 1)[0]
    assert -1.6 < slope < -0.6


def test_customers_repeat_and_stick_to_their_tastes(eight_weeks):
    world, days = eight_weeks
    customer_ids = np.concatenate([o.customer_id for o in days])
    _, per_customer = np.unique(customer_ids, return_counts=True)
    assert per_customer[per_customer > 1].sum() > 0.6 * len(customer_ids)
    customers = world.customers_on(days[-1].day)
    products = world.products_on(days[-1].day)
    row_of_customer = {c: i for i, c in enumerate(customers.customer_id)}
    row_of_product = {p: i for i, p in enumerate(products.product_id)}
    buyer = np.concatenate([o.customer_id[o.item_order] for o in days])
    category = products.category[[row_of_product[p] for p in np.concatenate([o.product_id for o in days])]]
    favourite = customers.tastes[[row_of_customer[c] for c in buyer]].argmax(axis=1)
    assert np.mean(category == favourite) > 0.35  # ~0.13 if tastes did not matter


def test_scale_smoke_fifty_thousand_orders_in_a_few_seconds(tmp_path):
    began = time.perf_counter()
    _, report = generate(tmp_path, days=1, orders_per_day=50_000, initial_customers=100_000)
    assert time.perf_counter() - began < 8
    assert report.totals("orders")["lines"] > 45_000
    assert report.totals("order_items")["lines"] > 100_000


def test_cli_writes_a_lake_and_prints_a_summary(tmp_path, capsys):
    argv = ["--lake", str(tmp_path), "--start", "2026-11-01", "--days", "2", "--orders-per-day", "50"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "orders" in out and "malformed" in out
    assert (tmp_path / "shop/orders/dt=2026-11-02/part-0000.jsonl.gz").is_file()
