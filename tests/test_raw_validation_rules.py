"""Raw-line validation on the real loader: integers load exactly over the whole BIGINT range, a value of the
wrong JSON type is quarantined (never cast), every product version of a day is kept, and a long line loads
up to MAX_LINE_BYTES while a longer one is quarantined alone."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from assets.kpi.keys import raw_table_key
from contracts.schema import MAX_LINE_BYTES, TableContract
from contracts.shop import CUSTOMERS, ORDER_ITEMS, ORDERS, PRODUCTS, export_file_key
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from resources.warehouse.interface import EXPORT_DATE, RawFile, RawLoadResult, RawPartition
from resources.warehouse.validation_sql import TOO_LONG_REASON
from tests.shop_records import jsonl_gz, order

DAY = date(2026, 11, 3)
BIGINT_MAX = 2**63 - 1

ITEM = {
    "order_item_id": 1,
    "order_id": 1,
    "product_id": 7,
    "quantity": 2,
    "unit_price": 68900,
    "created_at": "2026-11-03T10:00:00+09:00",
}
CUSTOMER = {
    "customer_id": 5,
    "signup_at": "2026-01-02T09:00:00+09:00",
    "updated_at": "2026-01-02T09:00:00+09:00",
    "signup_channel": "app",
    "region": "Seoul",
    "gender": None,
    "birth_year": None,
    "marketing_opt_in": True,
}
PRODUCT = {
    "product_id": 7,
    "sku": "SKU-7",
    "name": "Down parka",
    "category": "outerwear",
    "brand": "Cumulus",
    "list_price": 189000,
    "is_active": True,
    "created_at": "2026-01-01T00:00:00+09:00",
    "updated_at": "2026-01-01T00:00:00+09:00",
}


def line(record: dict, **changes) -> str:
    return json.dumps({**record, **changes})


def load(tmp_path: Path, contract: TableContract, *lines: str) -> tuple[DuckDBWarehouse, RawLoadResult]:
    """Load `lines` as one export file of `contract` for DAY into a fresh DuckDB warehouse."""
    return load_file(tmp_path, contract, jsonl_gz(*lines))


def load_file(tmp_path: Path, contract: TableContract, content: bytes) -> tuple[DuckDBWarehouse, RawLoadResult]:
    """Load `content` as one gzipped export file of `contract` for DAY into a fresh DuckDB warehouse."""
    key = export_file_key(contract.name, DAY.isoformat(), 0)
    path = tmp_path / "part-0000.jsonl.gz"
    path.write_bytes(content)
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    result = warehouse.load_raw_partition(
        contract, RawPartition(DAY.isoformat(), EXPORT_DATE, DAY), [RawFile(key, "e", path)]
    )
    return warehouse, result


def quarantine(warehouse: DuckDBWarehouse) -> dict[int, str]:
    rows = warehouse.query("SELECT line_number, reason FROM raw.quarantine ORDER BY line_number")
    return dict(zip(rows["line_number"], rows["reason"], strict=True))


# ------------------------------------------------------------------------------------------ exact integers


def test_ids_above_2_53_stay_distinct_and_exact_through_the_asset_and_reconcile(make_lane):
    """Through DOUBLE, 2^62+1 and 2^62+2 were one order: a line was lost and the reconciliation passed."""
    lane = make_lane()
    ids = [2**62 + 1, 2**62 + 2, BIGINT_MAX, -(2**63), 2**53 + 1]
    lines = [order(order_id=i, customer_id=i) for i in ids]
    lane.lake.write_bytes(export_file_key("orders", DAY.isoformat(), 0), jsonl_gz(*lines))
    result = lane.run_days(DAY, keys=[raw_table_key("orders")])
    rows = lane.table("raw.orders", "order_id")
    assert sorted(rows["order_id"].tolist()) == sorted(ids)
    assert rows["customer_id"].tolist() == rows["order_id"].tolist()
    metadata = result.asset_materializations_for_node("snowflake__raw__orders")[0].metadata
    assert metadata["dagster/row_count"].value == 5 and metadata["quarantined"].value == 0
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()}["reconciles_with_files"]


def test_integers_out_of_range_or_not_whole_are_quarantined_naming_the_field_and_the_rule(tmp_path):
    warehouse, result = load(
        tmp_path,
        ORDER_ITEMS,
        line(ITEM, order_item_id=2**63),  # one above BIGINT
        line(ITEM, order_item_id=2),
        '{"order_item_id": -9223372036854775809, "order_id": 1, "product_id": 7, "quantity": 2, '
        '"unit_price": 1, "created_at": "2026-11-03T10:00:00+09:00"}',
        line(ITEM, order_item_id=4, quantity=2**31),  # INTEGER's range ends at 2^31 - 1
        line(ITEM, order_item_id=5, quantity=2.5),
        line(ITEM, order_item_id=6).replace('"unit_price": 68900', '"unit_price": 1e400'),
        '{"order_item_id": 9007199254740993.0, "order_id": 1, "product_id": 7, "quantity": 2, '
        '"unit_price": 1, "created_at": "2026-11-03T10:00:00+09:00"}',
    )
    assert quarantine(warehouse) == {
        1: "order_items.order_item_id: bigint out of range -9223372036854775808..9223372036854775807, "
        "got 9223372036854775808",
        3: "order_items.order_item_id: bigint out of range -9223372036854775808..9223372036854775807, "
        "got -9223372036854775809",
        4: "order_items.quantity: integer out of range -2147483648..2147483647, got 2147483648",
        5: "order_items.quantity: integer must be a whole number, got 2.5",
        6: "order_items.unit_price: bigint out of range -9223372036854775808..9223372036854775807, got 1e400",
        7: "order_items.order_item_id: bigint written with a fraction or exponent must be below 2^53 to be "
        "exact, got 9007199254740992.0",
    }
    assert (result.rows_loaded, result.quarantined) == (1, 6)


def test_a_number_with_a_zero_fraction_counts_as_an_integer(tmp_path):
    warehouse, result = load(
        tmp_path,
        ORDER_ITEMS,
        line(ITEM, order_item_id=1, quantity=2.0, unit_price=68900.0),
        '{"order_item_id": 2, "order_id": 1e0, "product_id": 7, "quantity": 1E1, "unit_price": 6.89e4, '
        '"created_at": "2026-11-03T10:00:00+09:00"}',
    )
    rows = warehouse.query("SELECT order_item_id, order_id, quantity, unit_price FROM raw.order_items ORDER BY 1")
    assert rows.values.tolist() == [[1, 1, 2, 68900], [2, 1, 10, 68900]]
    assert result.quarantined == 0


# ----------------------------------------------------------------------------------------- wrong JSON type


def test_a_json_string_for_a_number_is_the_wrong_type(tmp_path):
    warehouse, result = load(
        tmp_path,
        ORDER_ITEMS,
        line(ITEM, order_item_id=1, unit_price="68900"),
        line(ITEM, order_item_id=2, quantity="2"),
        line(ITEM, order_item_id=3, quantity=True),
        line(ITEM, order_item_id=4, product_id=[7]),
        line(ITEM, order_item_id=5),
    )
    assert quarantine(warehouse) == {
        1: 'order_items.unit_price: expected bigint, got "68900"',
        2: 'order_items.quantity: expected integer, got "2"',
        3: "order_items.quantity: expected integer, got true",
        4: "order_items.product_id: expected bigint, got [7]",
    }
    assert result.rows_loaded == 1


def test_booleans_strings_and_timestamps_take_only_their_own_json_type(tmp_path):
    warehouse, result = load(
        tmp_path,
        CUSTOMERS,
        line(CUSTOMER, customer_id=1, marketing_opt_in="true"),
        line(CUSTOMER, customer_id=2, marketing_opt_in=1),
        line(CUSTOMER, customer_id=3, region=5),
        line(CUSTOMER, customer_id=4, signup_at=1762131600),
        line(CUSTOMER, customer_id=5, gender="F", region='Busan \u00e9"quoted"'),
        line(CUSTOMER, customer_id=6, birth_year="1990"),
        line(CUSTOMER, customer_id=7, marketing_opt_in=False),
    )
    assert quarantine(warehouse) == {
        1: 'customers.marketing_opt_in: expected boolean, got "true"',
        2: "customers.marketing_opt_in: expected boolean, got 1",
        3: "customers.region: expected varchar, got 5",
        4: "customers.signup_at: expected timestamptz, got 1762131600",
        6: 'customers.birth_year: expected integer, got "1990"',
    }
    rows = warehouse.query("SELECT customer_id, region, gender, marketing_opt_in FROM raw.customers ORDER BY 1")
    assert rows.values.tolist() == [[5, 'Busan \u00e9"quoted"', "F", True], [7, "Seoul", None, False]]
    assert result.rows_loaded == 2


def test_a_timestamp_is_a_json_string_ending_with_its_utc_offset(tmp_path):
    at = "2026-11-03T10:00:00"
    warehouse, result = load(
        tmp_path,
        ORDER_ITEMS,
        line(ITEM, order_item_id=1, created_at=f"{at}+09:00"),
        line(ITEM, order_item_id=2, created_at=f"{at}-0500"),
        line(ITEM, order_item_id=3, created_at=f"{at}Z"),
        line(ITEM, order_item_id=4).replace("+09:00", "\\u002B09:00"),  # an escaped '+' is still a '+'
        line(ITEM, order_item_id=5, created_at=at),
        line(ITEM, order_item_id=6, created_at=f"{at}+09"),
        line(ITEM, order_item_id=7, created_at=[f"{at}+09:00"]),
        line(ITEM, order_item_id=8, created_at=f"{at}+ab:cd"),
    )
    instants = warehouse.query("SELECT order_item_id, epoch(created_at) AS s FROM raw.order_items ORDER BY 1")
    base = 1793700000  # 2026-11-03T10:00:00Z
    assert instants.values.tolist() == [[1, base - 9 * 3600], [2, base + 5 * 3600], [3, base], [4, base - 9 * 3600]]
    assert quarantine(warehouse) == {
        5: f'order_items.created_at: timestamp has no UTC offset: "{at}"',
        6: f'order_items.created_at: timestamp has no UTC offset: "{at}+09"',
        7: f'order_items.created_at: expected timestamptz, got ["{at}+09:00"]',
        8: f'order_items.created_at: expected timestamptz, got "{at}+ab:cd"',
    }
    assert result.quarantined == 4


# ------------------------------------------------------------------------------------------ versions


def test_every_version_of_a_product_changed_twice_in_a_day_is_kept_and_exact_duplicates_dropped(tmp_path):
    morning = line(PRODUCT, category="outerwear", updated_at="2026-11-03T09:00:00+09:00")
    noon = line(PRODUCT, category="shoes", updated_at="2026-11-03T12:00:00+09:00")
    evening = line(PRODUCT, category="bags", updated_at="2026-11-03T18:00:00+09:00")
    warehouse, result = load(tmp_path, PRODUCTS, morning, noon, evening, noon)
    rows = warehouse.query("SELECT category, _source_line FROM raw.products ORDER BY updated_at")
    assert rows.values.tolist() == [["outerwear", 1], ["shoes", 4], ["bags", 3]]
    assert (result.rows_loaded, result.duplicates_dropped) == (3, 1)


def test_other_tables_still_keep_only_the_latest_version_of_a_key(tmp_path):
    cancelled = order(status="cancelled", updated_at="2026-11-03T12:00:00+09:00")
    warehouse, result = load(tmp_path, ORDERS, order(), cancelled)
    assert warehouse.query("SELECT status FROM raw.orders")["status"].tolist() == ["cancelled"]
    assert result.duplicates_dropped == 1


# ---------------------------------------------------------------------------------------------- long lines


def test_a_valid_line_of_3_mib_loads_with_the_rest_of_its_file(tmp_path):
    long_name = "x" * (3 * 1024 * 1024)
    warehouse, result = load(
        tmp_path, PRODUCTS, line(PRODUCT, product_id=1), line(PRODUCT, product_id=2, name=long_name)
    )
    lengths = warehouse.query("SELECT product_id, length(name) AS n FROM raw.products ORDER BY 1")
    assert lengths.values.tolist() == [[1, len("Down parka")], [2, len(long_name)]]
    assert result.quarantined == 0


def test_a_line_over_the_limit_is_quarantined_alone_and_the_rest_of_its_file_loads(tmp_path):
    too_long = line(PRODUCT, product_id=2, name="y" * (MAX_LINE_BYTES + 1))
    at_the_limit = line(PRODUCT, product_id=3, name="")
    at_the_limit = line(PRODUCT, product_id=3, name="z" * (MAX_LINE_BYTES - len(at_the_limit)))
    assert len(at_the_limit) == MAX_LINE_BYTES
    warehouse, result = load(tmp_path, PRODUCTS, line(PRODUCT, product_id=1), too_long, at_the_limit, "{")
    assert warehouse.query("SELECT product_id FROM raw.products ORDER BY 1")["product_id"].tolist() == [1, 3]
    assert quarantine(warehouse) == {2: TOO_LONG_REASON, 4: "not valid JSON"}
    assert TOO_LONG_REASON == "line longer than 16 MiB"
    kept = warehouse.query("SELECT raw_line FROM raw.quarantine WHERE line_number = 2")["raw_line"].item()
    assert too_long.startswith(kept) and 1000 < len(kept) <= 1024
    assert (result.lines_read, result.rows_loaded, result.quarantined) == (4, 2, 2)


def test_an_overlong_last_line_is_quarantined_too_not_dropped(tmp_path):
    """DuckDB's parallel line reader dropped a last line longer than its buffer without an error."""
    much_too_long = line(PRODUCT, product_id=2, name="y" * (MAX_LINE_BYTES + 8 * 1024 * 1024))
    warehouse, result = load(tmp_path, PRODUCTS, line(PRODUCT, product_id=1), much_too_long)
    assert quarantine(warehouse) == {2: TOO_LONG_REASON}
    assert (result.lines_read, result.rows_loaded, result.quarantined) == (2, 1, 1)


def test_a_valid_line_of_5_mib_between_others_loads(tmp_path):
    """Longer than the parallel reader's buffer: that reader fails it with "does not support a full read"."""
    long_name = "x" * (5 * 1024 * 1024)
    products = [line(PRODUCT, product_id=1), line(PRODUCT, product_id=2, name=long_name), line(PRODUCT, product_id=3)]
    warehouse, result = load(tmp_path, PRODUCTS, *products)
    lengths = warehouse.query("SELECT product_id, length(name) AS n FROM raw.products ORDER BY 1")
    assert lengths.values.tolist() == [[1, len("Down parka")], [2, len(long_name)], [3, len("Down parka")]]
    assert (result.lines_read, result.quarantined) == (3, 0)


@pytest.mark.parametrize("shape", ["two gzip members", "CRLF line ends"])
def test_a_file_not_proven_complete_is_read_again_and_keeps_its_overlong_last_line(tmp_path, shape):
    """Its lines do not add up to the size in its gzip trailer, so whether the parallel reader dropped a last
    line cannot be told from the sizes: the file is read again with the single-threaded reader."""
    first, last = line(PRODUCT, product_id=1), line(PRODUCT, product_id=2, name="y" * (MAX_LINE_BYTES + 1))
    if shape == "two gzip members":
        content = gzip.compress(f"{first}\n".encode()) + gzip.compress(f"{last}\n".encode())
    else:
        content = gzip.compress(f"{first}\r\n{last}\r\n".encode())
    warehouse, result = load_file(tmp_path, PRODUCTS, content)
    assert warehouse.query("SELECT product_id FROM raw.products")["product_id"].tolist() == [1]
    assert quarantine(warehouse) == {2: TOO_LONG_REASON}
    assert (result.lines_read, result.rows_loaded, result.quarantined) == (2, 1, 1)


def test_a_corrupt_file_with_a_long_line_still_fails_naming_the_file(tmp_path):
    path = tmp_path / "part-0000.jsonl.gz"
    path.write_bytes(gzip.compress((line(PRODUCT, name="x" * (3 * 1024 * 1024)) + "\n").encode())[:-20])
    key = export_file_key("products", DAY.isoformat(), 0)
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    with pytest.raises(Exception, match=f"export file {key} is unreadable"):
        warehouse.load_raw_partition(
            PRODUCTS, RawPartition(DAY.isoformat(), EXPORT_DATE, DAY), [RawFile(key, "e", path)]
        )
