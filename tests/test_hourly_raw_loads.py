"""The shared loader on an hourly source: a range run loads each hour as its own partition, its rows carry
the hour in the source's own lineage column, quarantine and reconciliation are keyed by the hour's
partition key, and an hour without files fails alone, by name."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.loading import RawTableSource, build_raw_table_asset
from cli.runs import RANGE_END_TAG, RANGE_START_TAG
from contracts.schema import Field, TableContract
from resources.storage.local import LocalObjectStore
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from resources.warehouse.interface import PartitionColumn
from tests.conftest import step_failures
from tests.shop_records import jsonl_gz

SEOUL = ZoneInfo("Asia/Seoul")
APP_EVENTS = TableContract(
    source="app",
    name="app_events",
    description="One row per app event.",
    primary_key=("event_id",),
    version_field="event_time",
    fields=(
        Field("event_id", "bigint", "Event identifier."),
        Field("user_id", "bigint", "The user."),
        Field("event_type", "varchar", "What happened.", allowed=("view", "cart")),
        Field("event_time", "timestamptz", "When it happened."),
    ),
)
HOURS = dg.HourlyPartitionsDefinition(start_date="2026-11-03-00:00", timezone="Asia/Seoul")
EXPORT_HOUR = PartitionColumn("_export_hour", "TIMESTAMPTZ")
KEY = dg.AssetKey(["warehouse", "raw", "app_events"])


def hour_prefix(partition_key: str) -> str:
    """`2026-11-03-07:00` -> `app/events/2026-11-03/07/`: a test layout, one folder per hour."""
    return f"app/events/{partition_key[:10]}/{partition_key[11:13]}/"


RAW_APP_EVENTS = build_raw_table_asset(
    RawTableSource(APP_EVENTS, HOURS, hour_prefix, ".json.gz", EXPORT_HOUR),
    key=KEY,
    files_asset=dg.AssetKey(["lake", "app_events"]),
    group_name="app",
    store_resource_key="lake",
    warehouse_resource_key="warehouse",
    kinds={"duckdb"},
    pool="warehouse",
)


def event(event_id: int, hour: int, event_type: str = "view") -> str:
    when = datetime(2026, 11, 3, hour, 30, tzinfo=SEOUL).isoformat()
    return json.dumps({"event_id": event_id, "user_id": 9, "event_type": event_type, "event_time": when})


@pytest.fixture
def app(tmp_path):
    lake = LocalObjectStore(root=str(tmp_path / "lake"))
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb"))
    instance = dg.DagsterInstance.ephemeral()
    lake.write_bytes("app/events/2026-11-03/07/part-0.json.gz", jsonl_gz(event(1, 7), event(2, 7), "{"))
    lake.write_bytes("app/events/2026-11-03/08/part-0.json.gz", jsonl_gz(event(3, 8), event(3, 8), event(4, 8, "buy")))
    lake.write_bytes("app/events/2026-11-03/10/part-0.json.gz", jsonl_gz(event(5, 10)))
    lake.write_bytes("app/events/2026-11-03/10/part-1.json.gz", b"")  # an empty result's zero-byte part

    def run(first: str, last: str) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [RAW_APP_EVENTS],
            instance=instance,
            resources={"lake": lake, "warehouse": warehouse},
            tags={RANGE_START_TAG: first, RANGE_END_TAG: last},
            raise_on_error=False,
        )

    yield lake, warehouse, instance, run
    instance.dispose()


def test_a_range_of_hours_loads_each_hour_into_its_own_partition(app):
    lake, warehouse, instance, run = app
    result = run("2026-11-03-07:00", "2026-11-03-10:00")

    assert not result.success  # 09:00 has no file
    loaded = ["2026-11-03-07:00", "2026-11-03-08:00", "2026-11-03-10:00"]
    assert sorted(instance.get_materialized_partitions(KEY)) == loaded
    status = instance.get_status_by_partition(KEY, [*loaded, "2026-11-03-09:00"], HOURS)
    assert status["2026-11-03-09:00"] == dg.AssetPartitionStatus.FAILED
    assert {status[k] for k in loaded} == {dg.AssetPartitionStatus.MATERIALIZED}
    assert "2026-11-03-09:00: no file of app_events for partition 2026-11-03-09:00" in step_failures(result)
    assert "app/events/2026-11-03/09/*.json.gz" in step_failures(result)

    rows = warehouse.query("SELECT event_id, _export_hour FROM raw.app_events ORDER BY event_id")
    assert list(rows["event_id"]) == [1, 2, 3, 5]
    hour_of = {1: 7, 2: 7, 3: 8, 5: 10}
    assert [t.to_pydatetime() for t in rows["_export_hour"]] == [
        datetime(2026, 11, 3, hour_of[i], tzinfo=SEOUL) for i in rows["event_id"]
    ]
    assert ("_export_hour", "TIMESTAMP WITH TIME ZONE") in warehouse.table_columns("raw", "app_events")

    quarantine = warehouse.query("SELECT partition_key, reason FROM raw.quarantine ORDER BY partition_key")
    assert list(quarantine["partition_key"]) == ["2026-11-03-07:00", "2026-11-03-08:00"]
    assert list(quarantine["reason"]) == ["not valid JSON", 'app_events.event_type: not one of view|cart, got "buy"']

    counts = {m.partition: m.materialization.metadata for m in result.get_asset_materialization_events()}
    assert {k: counts[k]["dagster/row_count"].value for k in loaded} == dict(zip(loaded, [2, 1, 1], strict=True))
    assert counts["2026-11-03-08:00"]["duplicates_dropped"].value == 1
    assert len(counts["2026-11-03-10:00"]["file_versions"].value) == 2
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["reconciles_with_files"].passed
    assert [r["partition"] for r in checks["reconciles_with_files"].metadata["partitions"].value] == loaded


def test_once_the_missing_hour_lands_the_range_loads_whole_and_identically(app):
    lake, warehouse, instance, run = app
    run("2026-11-03-07:00", "2026-11-03-10:00")
    before = warehouse.query("SELECT * FROM raw.app_events ORDER BY event_id")
    lake.write_bytes("app/events/2026-11-03/09/part-0.json.gz", jsonl_gz(event(6, 9)))

    result = run("2026-11-03-07:00", "2026-11-03-10:00")

    assert result.success
    partitions = [m.partition for m in result.get_asset_materialization_events()]
    assert sorted(partitions) == ["2026-11-03-07:00", "2026-11-03-08:00", "2026-11-03-09:00", "2026-11-03-10:00"]
    after = warehouse.query("SELECT * FROM raw.app_events ORDER BY event_id")
    assert list(after["event_id"]) == [1, 2, 3, 5, 6]
    assert after[after["event_id"] != 6].reset_index(drop=True).equals(before)
    assert instance.get_status_by_partition(KEY, ["2026-11-03-09:00"], HOURS)["2026-11-03-09:00"] == (
        dg.AssetPartitionStatus.MATERIALIZED
    )
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()} == {
        "reconciles_with_files": True,
        "quarantine_share": False,  # 2 of 8 lines
        "schema_matches_contract": True,
    }
