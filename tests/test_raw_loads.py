"""Raw loads under bad input: quarantine with reasons, latest version wins, unreadable and missing files
fail their partition naming the file without losing what was loaded, a zero-byte part is an empty part,
and re-runs are idempotent."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from assets.kpi.keys import raw_table_key
from assets.loading import count_lines
from contracts.shop import ORDERS, export_file_key
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from resources.warehouse.interface import EXPORT_DATE, RawFile, RawPartition, UnreadableExportFile
from tests.conftest import step_failures
from tests.shop_records import jsonl_gz, order

DAY = date(2026, 11, 3)
ORDERS_KEY = [raw_table_key("orders")]


def export_day(day: date) -> RawPartition:
    """The shop's daily partition of `day`, as the KPI pipeline's raw tables load it."""
    return RawPartition(day.isoformat(), EXPORT_DATE, day)


@pytest.fixture
def lane(make_lane):
    return make_lane()


def test_malformed_lines_are_quarantined_with_file_line_and_a_reason_citing_the_contract(lane):
    lane.lake.write_bytes(
        export_file_key("orders", "2026-11-03", 0),
        jsonl_gz(
            order(), '{"order_id": 2', order(order_id=3, status="shipped"), order(order_id=4, subtotal_amount="x")
        ),
    )
    result = lane.run_days(DAY, keys=ORDERS_KEY)
    quarantine = lane.table("raw.quarantine", "line_number")
    assert list(quarantine["line_number"]) == [2, 3, 4]
    assert list(quarantine["reason"]) == [
        "not valid JSON",
        'orders.status: not one of paid|cancelled|refunded, got "shipped"',
        'orders.subtotal_amount: expected bigint, got "x"',
    ]
    assert set(quarantine["source_key"]) == {export_file_key("orders", "2026-11-03", 0)}
    metadata = result.asset_materializations_for_node("snowflake__raw__orders")[0].metadata
    assert metadata["quarantined"].value == 3 and metadata["dagster/row_count"].value == 1
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["reconciles_with_files"].passed
    assert not checks["quarantine_share"].passed  # 3 of 4 lines is far above the 1% warning level


def test_json_that_is_not_an_object_and_blank_lines_are_quarantined_each_with_its_reason(lane):
    lane.lake.write_bytes(
        export_file_key("orders", "2026-11-03", 0),
        jsonl_gz(order(), "[1, 2]", '"an order"', "42", "   ", order(order_id=2)),
    )
    result = lane.run_days(DAY, keys=ORDERS_KEY)
    quarantine = lane.table("raw.quarantine", "line_number")
    assert list(quarantine["line_number"]) == [2, 3, 4, 5]
    assert list(quarantine["reason"]) == ["not a JSON object"] * 3 + ["empty line"]
    assert list(lane.table("raw.orders", "order_id")["order_id"]) == [1, 2]
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()}["reconciles_with_files"]


def test_the_latest_version_of_a_key_wins_and_exact_duplicates_are_dropped(lane):
    cancelled = order(status="cancelled", updated_at="2026-11-03T12:00:00+09:00")
    lane.lake.write_bytes(export_file_key("orders", "2026-11-03", 0), jsonl_gz(order(), cancelled, order()))
    result = lane.run_days(DAY, keys=ORDERS_KEY)
    rows = lane.table("raw.orders", "order_id")
    assert list(rows["status"]) == ["cancelled"]
    metadata = result.asset_materializations_for_node("snowflake__raw__orders")[0].metadata
    assert metadata["duplicates_dropped"].value == 2


def test_between_equal_versions_the_later_file_then_the_later_line_wins(lane):
    first, second = export_file_key("orders", "2026-11-03", 0), export_file_key("orders", "2026-11-03", 1)
    lane.lake.write_bytes(first, jsonl_gz(order(order_id=1, status="cancelled"), order(order_id=2), order(order_id=3)))
    lane.lake.write_bytes(second, jsonl_gz(order(order_id=1), order(order_id=2, status="refunded"), order(order_id=2)))
    lane.run_days(DAY, keys=ORDERS_KEY)
    rows = lane.table("raw.orders", "order_id")
    assert list(rows["status"]) == ["paid", "paid", "paid"]
    assert list(zip(rows["_source_key"], rows["_source_line"], strict=True)) == [(second, 1), (second, 3), (first, 3)]


def test_an_unreadable_file_fails_its_partition_naming_the_file_and_loses_nothing(lane):
    good_key, bad_key = export_file_key("orders", "2026-11-03", 0), export_file_key("orders", "2026-11-03", 1)
    lane.lake.write_bytes(good_key, jsonl_gz(order()))
    lane.run_days(DAY, keys=ORDERS_KEY)
    before = lane.table("raw.orders", "order_id")
    lane.lake.write_bytes(bad_key, jsonl_gz(order(order_id=2))[:30])  # a truncated upload
    result = lane.run_days(DAY, keys=ORDERS_KEY, raise_on_error=False)
    assert not result.success
    assert f"export file {bad_key} is unreadable" in step_failures(result)
    assert lane.table("raw.orders", "order_id").equals(before)
    lane.lake.write_bytes(bad_key, jsonl_gz(order(order_id=2)))  # the corrected re-delivery
    assert lane.run_days(DAY, keys=ORDERS_KEY).success
    assert list(lane.table("raw.orders", "order_id")["order_id"]) == [1, 2]


def test_a_day_without_export_files_fails_naming_what_is_missing(lane):
    result = lane.run_days(DAY, keys=ORDERS_KEY, raise_on_error=False)
    assert not result.success
    assert "no file of orders for partition 2026-11-03" in step_failures(result)
    assert "shop/orders/dt=2026-11-03/" in step_failures(result)


def test_a_zero_byte_part_is_an_empty_part_that_loads_nothing_without_error(lane):
    """Exporters write a zero-byte part for an empty result: it is read as 0 lines, not as a corrupt gzip."""
    full, empty = export_file_key("orders", "2026-11-03", 0), export_file_key("orders", "2026-11-03", 1)
    lane.lake.write_bytes(full, jsonl_gz(order(), order(order_id=2)))
    lane.lake.write_bytes(empty, b"")
    result = lane.run_days(DAY, keys=ORDERS_KEY)
    assert list(lane.table("raw.orders", "order_id")["order_id"]) == [1, 2]
    metadata = result.asset_materializations_for_node("snowflake__raw__orders")[0].metadata
    assert metadata["lines_read"].value == 2 and metadata["quarantined"].value == 0
    assert len(metadata["file_versions"].value) == 2  # the empty part counts as loaded: no reload requested
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()}["reconciles_with_files"]


def test_a_partition_of_only_zero_byte_parts_loads_empty(lane):
    lane.lake.write_bytes(export_file_key("orders", "2026-11-03", 0), b"")
    result = lane.run_days(DAY, keys=ORDERS_KEY)
    assert result.success and lane.table("raw.orders", "order_id").empty
    assert result.asset_materializations_for_node("snowflake__raw__orders")[0].metadata["dagster/row_count"].value == 0


def test_a_non_empty_file_that_is_not_gzip_fails_its_partition_naming_file_and_partition(lane):
    bad = export_file_key("orders", "2026-11-03", 0)
    lane.lake.write_bytes(bad, order().encode() + b"\n")  # JSON lines, but not gzipped as its name says
    result = lane.run_days(DAY, keys=ORDERS_KEY, raise_on_error=False)
    assert not result.success
    assert f"2026-11-03: export file {bad} is unreadable" in step_failures(result)
    assert lane.table("raw.orders", "order_id").empty


def test_a_partition_key_outside_the_partitions_is_refused_clearly(lane):
    with pytest.raises(Exception, match="2019-01-01"):
        lane.run_days(date(2019, 1, 1), keys=ORDERS_KEY)


def test_rerunning_a_day_gives_identical_rows_and_quarantine(lane):
    lane.lake.write_bytes(export_file_key("orders", "2026-11-03", 0), jsonl_gz(order(), "{", order(order_id=7)))
    lane.run_days(DAY, keys=ORDERS_KEY)
    first = (lane.table("raw.orders", "order_id"), lane.table("raw.quarantine", "line_number"))
    lane.run_days(DAY, keys=ORDERS_KEY)
    assert lane.table("raw.orders", "order_id").equals(first[0])
    assert lane.table("raw.quarantine", "line_number").equals(first[1])


def _load_in_another_process(path: str, file: str, order_id: int) -> int:
    warehouse = DuckDBWarehouse(path=path)
    key = f"shop/orders/dt=2026-11-0{order_id}/part-0000.jsonl.gz"
    day = date(2026, 11, order_id)
    return warehouse.load_raw_partition(ORDERS, export_day(day), [RawFile(key, "etag", Path(file))]).rows_loaded


def test_concurrent_loads_from_separate_processes_wait_for_the_lock_instead_of_failing(tmp_path):
    path = str(tmp_path / "wh.duckdb")
    files = []
    for i in range(1, 7):
        file = tmp_path / f"orders-{i}.jsonl.gz"
        file.write_bytes(jsonl_gz(*(order(order_id=i * 1000 + n) for n in range(2000))))
        files.append((path, str(file), i))
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        loaded = pool.starmap(_load_in_another_process, files)
    assert loaded == [2000] * 6
    counts = DuckDBWarehouse(path=path).query(
        "SELECT _export_date, count(*) AS n FROM raw.orders GROUP BY 1 ORDER BY 1"
    )
    assert list(counts["n"]) == [2000] * 6


def test_the_independent_recount_counts_every_line_and_names_a_truncated_file(tmp_path):
    lines = [os.urandom(24).hex() for _ in range(20_000)]
    whole, unterminated = tmp_path / "whole.jsonl.gz", tmp_path / "unterminated.jsonl.gz"
    whole.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    unterminated.write_bytes(gzip.compress("\n".join(lines).encode()))
    assert count_lines(whole) == count_lines(unterminated) == len(lines)

    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(UnreadableExportFile, match="export file .*truncated.jsonl.gz is unreadable: cannot count"):
        count_lines(truncated)
    empty = tmp_path / "empty.jsonl.gz"
    empty.touch()
    assert count_lines(empty) == 0


def test_a_quarantine_table_keyed_by_export_date_is_converted_to_partition_keys_in_place(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "wh.duckdb"))
    with warehouse.connect() as con:  # the table as loads before partition keys left it
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.quarantine (source_table VARCHAR, export_date DATE, source_key VARCHAR, "
            "line_number BIGINT, reason VARCHAR, raw_line VARCHAR)"
        )
        con.execute("INSERT INTO raw.quarantine VALUES ('orders', '2026-11-02', 'k', 1, 'not valid JSON', '{')")
    file = tmp_path / "orders.jsonl.gz"
    file.write_bytes(jsonl_gz(order(), "{"))
    raw_file = RawFile(export_file_key("orders", "2026-11-03", 0), "e", file)
    warehouse.load_raw_partition(ORDERS, export_day(DAY), [raw_file])
    assert warehouse.table_columns("raw", "quarantine")[1] == ("partition_key", "VARCHAR")
    rows = warehouse.query("SELECT partition_key, line_number FROM raw.quarantine ORDER BY partition_key")
    assert list(zip(rows["partition_key"], rows["line_number"], strict=True)) == [("2026-11-02", 1), ("2026-11-03", 2)]


def _other_process_reads(path: str) -> subprocess.CompletedProcess:
    code = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).sql('FROM raw.orders').shape[0])"
    return subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)


def test_a_session_keeps_the_warehouse_open_across_loads_and_other_processes_read_after_it(tmp_path):
    path = str(tmp_path / "wh.duckdb")
    warehouse = DuckDBWarehouse(path=path)
    files = []
    for i in range(1, 4):
        file = tmp_path / f"orders-{i}.jsonl.gz"
        file.write_bytes(jsonl_gz(*(order(order_id=i * 100 + n) for n in range(50))))
        files.append((date(2026, 11, i), RawFile(f"shop/orders/dt=2026-11-0{i}/part-0000.jsonl.gz", "e", file)))
    with warehouse.session():
        loaded = [warehouse.load_raw_partition(ORDERS, export_day(day), [file]).rows_loaded for day, file in files]
        # Reads inside the session (read-only by default) attach to the open database and see every load.
        assert warehouse.query("SELECT count(*) AS n FROM raw.orders")["n"].item() == 150
        assert warehouse.table_columns("raw", "orders")
        held = _other_process_reads(path)
    assert loaded == [50, 50, 50]
    assert held.returncode != 0 and "lock" in held.stderr.lower()  # the session held the file's lock
    after = _other_process_reads(path)
    assert after.returncode == 0 and after.stdout.strip() == "150", after.stderr
