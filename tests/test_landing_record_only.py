"""A record-only landing route (hourly Amplitude chunks, consumed by a 07:00 job instead of per-file loads)
over a real local bucket: landed versions recorded in their Seoul-hour partitions, nothing requested, and
nothing recorded twice."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.landing import landing_tick
from assets.landing_routes import LandingRoute
from assets.landing_versions import RECORDED_FILE_VERSIONS
from contracts.layout import HourlyChunkLayout
from resources.storage.local import LocalObjectStore

LAYOUT = HourlyChunkLayout(root="amplitude/", timezone="Asia/Seoul")
HOURS = dg.HourlyPartitionsDefinition(start_date="2026-11-01-00:00", timezone="Asia/Seoul")
EVENT_FILES = dg.AssetKey(["gcs", "amplitude", "123"])
ROUTE = LandingRoute(name="amplitude_events", layout=LAYOUT, files_assets={"123": EVENT_FILES}, partitions_def=HOURS)


@dg.sensor(name="amplitude_files_sensor")
def amplitude_files_sensor(context: dg.SensorEvaluationContext, lake: LocalObjectStore) -> dg.SensorResult:
    return landing_tick(context, lake, ROUTE, recent_prefixes=ROUTE.recent_prefixes(3))


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path / "lake"))


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def tick(store: LocalObjectStore, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    """Evaluated as the daemon does, which then stores the tick's asset events."""
    with dg.build_sensor_context(cursor=cursor, instance=instance, resources={"lake": store}) as context:
        result = amplitude_files_sensor.evaluate_tick(context)
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result


def land_at(store: LocalObjectStore, key: str, data: bytes, epoch_seconds: int) -> str:
    store.write_bytes(key, data)
    os.utime(store._path(key), (epoch_seconds, epoch_seconds))
    return store.list_page(key)[0].version


def materializations(result: dg.SensorResult) -> list[dg.AssetMaterialization]:
    return [e for e in result.asset_events if isinstance(e, dg.AssetMaterialization)]


def test_landed_hourly_chunks_are_recorded_in_their_hour_partitions_and_no_run_is_requested(store, instance):
    chunks = ["123_2026-11-03_5#0", "123_2026-11-03_5#1", "123_2026-11-03_15#0"]
    for i, chunk in enumerate(chunks):
        land_at(store, f"amplitude/123/{chunk}.json.gz", chunk.encode(), 1_793_000_000 + i)
    first = tick(store, instance, None)
    assert first.run_requests == [] and "recorded 3 new file versions" in first.skip_message
    recorded = {e.metadata["key"].value: e.partition for e in materializations(first)}
    assert recorded == {
        "amplitude/123/123_2026-11-03_5#0.json.gz": "2026-11-03-14:00",  # 05:00 UTC is 14:00 in Seoul
        "amplitude/123/123_2026-11-03_5#1.json.gz": "2026-11-03-14:00",
        "amplitude/123/123_2026-11-03_15#0.json.gz": "2026-11-04-00:00",
    }
    event = materializations(first)[0]
    assert event.asset_key == EVENT_FILES
    assert {"key", "etag", "size_bytes", "last_modified"} <= set(event.metadata)
    stored = instance.fetch_materializations(EVENT_FILES, limit=10).records
    assert sorted(r.partition_key for r in stored) == ["2026-11-03-14:00", "2026-11-03-14:00", "2026-11-04-00:00"]

    again = tick(store, instance, first.cursor)
    assert again.asset_events == [] and again.run_requests == [] and "no new files" in again.skip_message
    assert tick(store, instance, None).asset_events == []  # judged from the instance, not from the cursor


def test_a_corrected_chunk_is_recorded_again_and_an_identical_redelivery_is_not(store, instance):
    key, other = "amplitude/123/123_2026-11-03_5#0.json.gz", "amplitude/123/123_2026-11-03_5#1.json.gz"
    land_at(store, key, b"v1", 1_793_000_000)
    kept = land_at(store, other, b"other chunk", 1_793_000_001)
    first = tick(store, instance, None)
    land_at(store, key, b"v1", 1_793_000_100)  # the same bytes, delivered again
    assert tick(store, instance, first.cursor).asset_events == []
    corrected = land_at(store, key, b"v2", 1_793_000_200)
    (event,) = materializations(tick(store, instance, first.cursor))
    assert event.metadata["etag"].value == corrected.rsplit("@", 1)[1]
    # the partition's latest event lists each chunk's latest version: what the next tick judges by
    assert sorted(event.metadata[RECORDED_FILE_VERSIONS].value) == sorted([corrected, kept])


def test_record_only_ticks_keep_to_the_budget_and_work_off_a_backlog(store, instance):
    for hour in range(24):
        for chunk in range(3):
            land_at(store, f"amplitude/123/123_2026-11-02_{hour}#{chunk}.json.gz", b"%d" % chunk, 1_793_000_000)
    seen, cursor = [], None
    for _ in range(4):
        with dg.build_sensor_context(cursor=cursor, instance=instance) as context:
            result = landing_tick(context, store, ROUTE, recent_prefixes=[], budget=30)
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
        assert len(result.asset_events) <= 30
        seen += [e.metadata["key"].value for e in materializations(result)]
        cursor = result.cursor
    assert len(seen) == len(set(seen)) == 72


def test_recent_prefixes_are_the_last_hours_written_as_the_files_name_them():
    now = datetime(2026, 11, 4, 0, 20, tzinfo=ZoneInfo("Asia/Seoul"))
    assert ROUTE.recent_prefixes(2, now) == ["amplitude/123/123_2026-11-03_15#", "amplitude/123/123_2026-11-03_14#"]


def test_a_route_refuses_partitions_that_do_not_match_its_layout():
    daily = dg.DailyPartitionsDefinition(start_date="2026-11-01", timezone="Asia/Seoul")
    utc_hours = dg.HourlyPartitionsDefinition(start_date="2026-11-01-00:00", timezone="UTC")
    for partitions in (daily, utc_hours):
        with pytest.raises(ValueError, match="HourlyChunkLayout has hourly keys in Asia/Seoul"):
            LandingRoute(name="x", layout=LAYOUT, files_assets={"123": EVENT_FILES}, partitions_def=partitions)
