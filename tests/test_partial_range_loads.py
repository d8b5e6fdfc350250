"""A range run of the raw tables with two unreadable files: only their (table, day) partitions fail, by
name; every other (table, day) is loaded and recorded as materialized, once, with its own figures, and
Dagster's partition status (what the UI shows) says which days failed."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

import dagster as dg
import pytest

from assets.kpi.keys import raw_table_key
from assets.partitions import daily_partitions
from contracts.shop import SHOP_TABLES, export_file_key
from generator.shop import ShopConfig, generate_shop_exports
from tests.conftest import Lane, step_failures

FIRST, DAYS = date(2026, 11, 1), 5
LAST = FIRST + timedelta(days=DAYS - 1)
ALL_DAYS = [(FIRST + timedelta(days=i)).isoformat() for i in range(DAYS)]
RAW_KEYS = [raw_table_key(c.name) for c in SHOP_TABLES]
CORRUPT_PART = export_file_key("customers", "2026-11-04", 1)  # beside the day's good part-0000
TRUNCATED = export_file_key("orders", "2026-11-02", 0)
FAILED = {("customers", "2026-11-04"): CORRUPT_PART, ("orders", "2026-11-02"): TRUNCATED}


@pytest.fixture(scope="module")
def broken_range(tmp_path_factory):
    """Five generated days with a corrupt customers part on day 4 and a truncated orders file on day 2,
    loaded in one single-run range through `cli.runs.materialize_range`, as `make backfill` runs it."""
    lane = Lane.local(tmp_path_factory.mktemp("broken-range"))
    generate_shop_exports(lane.lake, FIRST, DAYS, ShopConfig(seed=11, orders_per_day=20))
    lane.lake.write_bytes(CORRUPT_PART, b"\x1f\x8b\x08\x00 not a gzip stream after its magic bytes")
    whole = lane.lake.read_bytes(TRUNCATED)
    lane.lake.write_bytes(TRUNCATED, whole[: len(whole) // 2])
    result = lane.run_days(FIRST, LAST, keys=RAW_KEYS, raise_on_error=False)
    yield lane, result
    lane.instance.dispose()


def test_every_other_table_and_day_is_loaded_and_materialized(broken_range):
    lane, result = broken_range
    assert not result.success
    for contract in SHOP_TABLES:
        loaded = [day for day in ALL_DAYS if (contract.name, day) not in FAILED]
        assert sorted(lane.instance.get_materialized_partitions(raw_table_key(contract.name))) == loaded
        days = lane.warehouse.query(f"SELECT DISTINCT CAST(_export_date AS VARCHAR) AS d FROM raw.{contract.name}")
        assert set(days["d"]) <= set(loaded), contract.name  # a day may have an empty export
        assert len(days) >= DAYS - 2, contract.name


def test_the_failed_partitions_are_named_with_their_file_in_one_error_per_table(broken_range):
    _, result = broken_range
    failures = step_failures(result)
    for (table, day), key in FAILED.items():
        assert f"{table}: 1 of {DAYS} partition(s) failed ({DAYS - 1} loaded and recorded as materialized)" in failures
        assert f"  {day}: export file {key} is unreadable" in failures
    failed_steps = {e.step_key for e in result.all_events if e.is_step_failure}
    assert failed_steps == {"snowflake__raw__customers", "snowflake__raw__orders"}


def test_dagster_shows_the_failed_days_as_failed_and_the_others_as_materialized(broken_range):
    lane, _ = broken_range
    for contract in SHOP_TABLES:
        status = lane.instance.get_status_by_partition(raw_table_key(contract.name), ALL_DAYS, daily_partitions)
        for day in ALL_DAYS:
            failed = (contract.name, day) in FAILED
            expected = dg.AssetPartitionStatus.FAILED if failed else dg.AssetPartitionStatus.MATERIALIZED
            assert status[day] == expected, (contract.name, day)


def test_each_loaded_partition_is_materialized_once_with_its_own_figures_and_files(broken_range):
    lane, result = broken_range
    for contract in SHOP_TABLES:
        key = raw_table_key(contract.name)
        events = [m for m in result.get_asset_materialization_events() if m.asset_key == key]
        partitions = [e.partition for e in events]
        assert sorted(partitions) == sorted(set(partitions))  # no partition twice
        counts = lane.warehouse.query(
            f"SELECT CAST(_export_date AS VARCHAR) AS d, count(*) AS n FROM raw.{contract.name} GROUP BY 1"
        )
        stored = dict(zip(counts["d"], counts["n"], strict=True))
        for event in events:
            metadata = event.materialization.metadata
            assert metadata["dagster/row_count"].value == stored.get(event.partition, 0)
            day_prefix = f"shop/{contract.name}/dt={event.partition}/"
            assert metadata["file_versions"].value
            assert all(v.startswith(day_prefix) for v in metadata["file_versions"].value)
            assert metadata["dagster/table_name"].value == f"raw.{contract.name}"


def test_the_loaded_partitions_are_reconciled_even_when_others_failed(broken_range):
    _, result = broken_range
    checks = {(c.asset_key, c.check_name): c for c in result.get_asset_check_evaluations()}
    for contract in SHOP_TABLES:
        reconciliation = checks[(raw_table_key(contract.name), "reconciles_with_files")]
        loaded = [day for day in ALL_DAYS if (contract.name, day) not in FAILED]
        assert reconciliation.passed
        assert [r["partition"] for r in reconciliation.metadata["partitions"].value] == loaded


def test_a_corrected_re_delivery_loads_the_failed_day(broken_range):
    """Runs last: it repairs the fixture's lake."""
    lane, _ = broken_range
    lane.lake.write_bytes(CORRUPT_PART, gzip.compress(b""))  # the re-delivered part: valid and empty
    day = date(2026, 11, 4)
    assert lane.run_days(day, keys=[raw_table_key("customers")]).success
    assert "2026-11-04" in lane.instance.get_materialized_partitions(raw_table_key("customers"))
    status = lane.instance.get_status_by_partition(raw_table_key("customers"), ["2026-11-04"], daily_partitions)
    assert status["2026-11-04"] == dg.AssetPartitionStatus.MATERIALIZED
