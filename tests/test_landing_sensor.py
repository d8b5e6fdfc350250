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
from definitions import build_definitions
from resources.settings import Settings
from resources.storage import LocalObjectStore


@pytest.fixture
def store(tmp_path) -> LocalObjectStore:
    return LocalObjectStore(root=str(tmp_path / "lake"))


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    return build_definitions(Settings(env="local", home=tmp_path_factory.mktemp("home")))


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def tick(defs, instance):
    """One evaluation as the sensor daemon does it: run requests are resolved against the sensor's target."""

    def evaluate(store: LocalObjectStore, cursor: str | None):
        with dg.build_sensor_context(
            cursor=cursor, resources={"s3": store}, definitions=defs, instance=instance
        ) as context:
            return shop_exports_sensor.evaluate_tick(context)

    return evaluate


def record_load(instance: dg.DagsterInstance, table: str, day: str, versions: list[str]) -> None:
    """What a finished raw load leaves in the instance: the file versions it read."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(raw_table_key(table), partition=day, metadata={"file_versions": versions})
    )


def land(store: LocalObjectStore, key: str, data: bytes) -> None:
    store.write_bytes(key, data)
    time.sleep(0.002)  # distinct last-modified times, as separate uploads have


def test_new_file_requests_its_partition_and_records_the_file_version(store, tick):
    key = export_file_key("orders", "2026-11-03", 0)
    land(store, key, b"v1")
    result = tick(store, None)
    (request,) = result.run_requests
    assert request.partition_key == "2026-11-03"
    assert request.asset_selection == [raw_table_key("orders")]
    etag = store.list_page("shop/")[0].etag
    assert request.run_key.startswith(f"{key}@{etag}|")
    (event,) = result.asset_events
    assert event.asset_key == export_files_key("orders")
    assert event.partition == "2026-11-03"
    assert event.metadata["key"].value == key and event.metadata["etag"].value == etag
    assert tick(store, result.cursor).skip_message


def land_at(store: LocalObjectStore, key: str, data: bytes, epoch_seconds: int) -> None:
    """Land an object with a chosen last-modified time (as a re-upload hours later would have)."""
    store.write_bytes(key, data)
    os.utime(store._path(key), (epoch_seconds, epoch_seconds))


def test_corrected_redelivery_reruns_and_identical_redelivery_does_not(store, tick, instance):
    key = export_file_key("customers", "2026-11-03", 0)
    land_at(store, key, b"v1", 1_790_000_000)
    first = tick(store, None)
    land_at(store, key, b"v1", 1_790_000_060)  # the same bytes a minute later, its load still queued
    queued = tick(store, first.cursor)
    assert queued.run_requests[0].run_key == first.run_requests[0].run_key  # Dagster skips it
    record_load(instance, "customers", "2026-11-03", [f"{key}@{store.list_page('shop/')[0].etag}"])
    land_at(store, key, b"v1", 1_790_000_120)  # and again once it is loaded: nothing to do
    assert tick(store, queued.cursor).run_requests == []
    land_at(store, key, b"v2-corrected", 1_790_000_180)
    corrected = tick(store, queued.cursor)
    assert corrected.run_requests[0].run_key != first.run_requests[0].run_key
    assert corrected.run_requests[0].partition_key == "2026-11-03"


def test_late_file_for_a_past_day_is_picked_up_although_its_key_sorts_first(store, tick):
    land(store, export_file_key("orders", "2026-11-05", 0), b"today")
    first = tick(store, None)
    land(store, export_file_key("orders", "2026-11-02", 1), b"late part")
    late = tick(store, first.cursor)
    assert [r.partition_key for r in late.run_requests] == ["2026-11-02"]


def test_more_than_a_page_of_objects_is_worked_off_in_budgeted_ticks(store, tick):
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
        if result.skip_message:
            break
        assert len(result.run_requests) <= 500  # the per-tick budget
        seen += [r.tags["cumulus/trigger_file"] for r in result.run_requests]
        cursor, ticks = result.cursor, ticks + 1
    assert ticks == 3
    assert sorted(seen) == sorted(keys) and len(seen) == len(set(seen))


def test_files_outside_the_export_layout_or_partitions_are_ignored(store, tick):
    land(store, "shop/orders/_SUCCESS", b"")
    land(store, "shop/unknown_table/dt=2026-11-03/part-0000.jsonl.gz", b"x")
    land(store, export_file_key("orders", "2019-01-01", 0), b"before the first partition")
    result = tick(store, None)
    assert result.run_requests == []
    assert LandingCursor.parse(result.cursor).watermark.year >= 2026


def test_cursor_forgets_versions_older_than_the_overlap():
    cursor = LandingCursor.parse(None)
    assert cursor.serialize() == LandingCursor.parse(cursor.serialize()).serialize()


def test_files_a_backfill_already_loaded_are_not_loaded_again(store, tick, instance):
    key = export_file_key("orders", "2026-11-03", 0)
    land(store, key, b"v1")
    record_load(instance, "orders", "2026-11-03", [store.list_page("shop/")[0].version])  # e.g. make demo
    result = tick(store, None)
    assert result.run_requests == [] and result.asset_events == []
    assert LandingCursor.parse(result.cursor).watermark.year >= 2026  # handled: not looked at again


def test_a_key_that_goes_back_to_earlier_content_is_loaded_again(store, tick, instance):
    key = export_file_key("orders", "2026-11-03", 0)
    land_at(store, key, b"v1", 1_790_000_000)
    v1 = tick(store, None)
    record_load(instance, "orders", "2026-11-03", [store.list_page("shop/")[0].version])
    land_at(store, key, b"v2", 1_790_000_100)
    v2 = tick(store, v1.cursor)
    record_load(instance, "orders", "2026-11-03", [store.list_page("shop/")[0].version])
    land_at(store, key, b"v1", 1_790_000_200)
    back = tick(store, v2.cursor)
    keys = [r.run_requests[0].run_key for r in (v1, v2, back)]
    assert len(set(keys)) == 3  # the third is not de-duplicated against the first
    assert keys[2].split("|")[0] == keys[0].split("|")[0]  # same file version, other partition state
