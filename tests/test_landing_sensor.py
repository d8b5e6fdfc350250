"""The new-file sensor against a real local bucket: new, re-delivered, identical and late files, and
listings larger than one page."""

from __future__ import annotations

import os
import time

import dagster as dg
import pytest

from assets.kpi import export_files_key, raw_table_key, shop_exports_sensor
from assets.landing import LandingCursor
from contracts.shop import export_file_key
from resources.storage import LocalObjectStore


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path / "lake"))


def tick(store: LocalObjectStore, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    with dg.build_sensor_context(cursor=cursor, resources={"s3": store}) as context:
        return shop_exports_sensor(context)


def land(store: LocalObjectStore, key: str, data: bytes) -> None:
    store.write_bytes(key, data)
    time.sleep(0.002)  # distinct last-modified times, as separate uploads have


def test_new_file_requests_its_partition_and_records_the_file_version(store):
    key = export_file_key("orders", "2026-11-03", 0)
    land(store, key, b"v1")
    result = tick(store, None)
    (request,) = result.run_requests
    assert request.partition_key == "2026-11-03"
    assert request.asset_selection == [raw_table_key("orders")]
    etag = store.list_page("shop/")[0].etag
    assert request.run_key == f"{key}@{etag}"
    (event,) = result.asset_events
    assert event.asset_key == export_files_key("orders")
    assert event.partition == "2026-11-03"
    assert event.metadata["key"].value == key and event.metadata["etag"].value == etag
    assert isinstance(tick(store, result.cursor), dg.SkipReason)


def land_at(store: LocalObjectStore, key: str, data: bytes, epoch_seconds: int) -> None:
    """Land an object with a chosen last-modified time (as a re-upload hours later would have)."""
    store.write_bytes(key, data)
    os.utime(store._path(key), (epoch_seconds, epoch_seconds))


def test_corrected_redelivery_reruns_and_identical_redelivery_does_not(store):
    key = export_file_key("customers", "2026-11-03", 0)
    land_at(store, key, b"v1", 1_790_000_000)
    first = tick(store, None)
    land_at(store, key, b"v1", 1_790_000_060)  # the same bytes a minute later: no new version
    assert isinstance(tick(store, first.cursor), dg.SkipReason)
    land_at(store, export_file_key("orders", "2026-11-04", 0), b"next day", 1_790_007_200)
    later = tick(store, first.cursor)  # moves the watermark two hours on: v1 leaves the overlap
    land_at(store, key, b"v1", 1_790_007_210)  # the same bytes again, long after
    identical = tick(store, later.cursor)
    assert identical.run_requests[0].run_key == first.run_requests[0].run_key  # Dagster de-duplicates it
    land_at(store, key, b"v2-corrected", 1_790_007_300)
    corrected = tick(store, identical.cursor)
    assert corrected.run_requests[0].run_key != first.run_requests[0].run_key
    assert corrected.run_requests[0].partition_key == "2026-11-03"


def test_late_file_for_a_past_day_is_picked_up_although_its_key_sorts_first(store):
    land(store, export_file_key("orders", "2026-11-05", 0), b"today")
    first = tick(store, None)
    land(store, export_file_key("orders", "2026-11-02", 1), b"late part")
    late = tick(store, first.cursor)
    assert [r.partition_key for r in late.run_requests] == ["2026-11-02"]


def test_more_than_a_page_of_objects_is_worked_off_in_budgeted_ticks(store):
    days = [f"2026-{m:02d}-{d:02d}" for m in (3, 4, 5, 6, 7, 8, 9, 10) for d in range(1, 29)]
    tables = ("orders", "order_items", "customers", "products")
    keys = [export_file_key(t, day, part) for day in days for t in tables for part in (0, 1)]
    keys = keys[:1100]
    for i, key in enumerate(keys):
        path = store._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"{i}".encode())
        os.utime(path, ns=(1_700_000_000_000_000_000 + i * 1000, 1_700_000_000_000_000_000 + i * 1000))
    seen, cursor, ticks = [], None, 0
    while True:
        result = tick(store, cursor)
        if isinstance(result, dg.SkipReason):
            break
        assert len(result.run_requests) <= 500  # the per-tick budget
        seen += [r.tags["cumulus/trigger_file"] for r in result.run_requests]
        cursor, ticks = result.cursor, ticks + 1
    assert ticks == 3
    assert sorted(seen) == sorted(keys) and len(seen) == len(set(seen))


def test_files_outside_the_export_layout_or_partitions_are_ignored(store):
    land(store, "shop/orders/_SUCCESS", b"")
    land(store, "shop/unknown_table/dt=2026-11-03/part-0000.jsonl.gz", b"x")
    land(store, export_file_key("orders", "2019-01-01", 0), b"before the first partition")
    result = tick(store, None)
    assert result.run_requests == []
    assert LandingCursor.parse(result.cursor).watermark.year >= 2026


def test_cursor_forgets_versions_older_than_the_overlap():
    cursor = LandingCursor.parse(None)
    assert cursor.serialize() == LandingCursor.parse(cursor.serialize()).serialize()
