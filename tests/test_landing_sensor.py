"""The new-file sensor against a real local bucket: new, re-delivered, identical and late files, and
listings larger than one page."""

from __future__ import annotations

import hashlib
import os
import re
import time

import dagster as dg
import pytest

from assets.kpi.keys import export_files_key, raw_table_key
from assets.kpi.sources import checks, export_files, export_route, shop_exports_sensor
from assets.landing import SweepCursor, landing_tick
from assets.landing_versions import version_tag
from assets.partitions import recent_business_days
from assets.unmapped_keys import UNMAPPED_KEYS_CHECK
from contracts.shop import export_file_key
from definitions import build_definitions
from resources.settings import Settings
from resources.storage.local import LocalObjectStore
from tests.sensor_daemon import finish_load, tick_as_daemon


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
    """One tick as the sensor daemon runs it: evaluated, then a run (not started) per new run key."""

    def evaluate(store: LocalObjectStore, cursor: str | None):
        return tick_as_daemon(shop_exports_sensor, defs, instance, store, cursor)

    return evaluate


def record_load(instance: dg.DagsterInstance, table: str, day: str, versions: list[str], **status) -> None:
    finish_load(instance, raw_table_key(table), day, versions, **status)


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
    assert request.tags[version_tag(f"{key}@{etag}")] == "requested"
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
    assert queued.run_requests == [] and queued.asset_events == []
    record_load(instance, "customers", "2026-11-03", [f"{key}@{store.list_page('shop/')[0].etag}"])
    land_at(store, key, b"v1", 1_790_000_120)  # and again once it is loaded: nothing to do
    assert tick(store, queued.cursor).run_requests == []
    land_at(store, key, b"v2-corrected", 1_790_000_180)
    corrected = tick(store, queued.cursor)
    assert corrected.run_requests[0].run_key != first.run_requests[0].run_key
    assert corrected.run_requests[0].partition_key == "2026-11-03"


def test_a_failed_load_is_not_retried_by_itself_but_a_corrected_upload_is(store, tick, instance):
    key = export_file_key("orders", "2026-11-03", 0)
    land(store, key, b"not gzip")
    first = tick(store, None)
    record_load(instance, "orders", "2026-11-03", [store.list_page(key)[0].version], status=dg.DagsterRunStatus.FAILURE)
    assert tick(store, first.cursor).skip_message  # the same request again would fail again
    land(store, key, b"fixed")
    (retry,) = tick(store, first.cursor).run_requests
    assert version_tag(store.list_page(key)[0].version) in retry.tags


def test_a_file_whose_load_is_still_queued_is_not_requested_again_when_its_partition_changes(store, tick, instance):
    first_part, second_part = export_file_key("orders", "2026-11-03", 0), export_file_key("orders", "2026-11-03", 1)
    land(store, first_part, b"part 0")
    first = tick(store, None)
    land(store, second_part, b"part 1")
    second = tick(store, first.cursor)
    assert len(second.run_requests) == 1
    # The first load ran before the second file landed; the second file's load is still queued.
    record_load(instance, "orders", "2026-11-03", [store.list_page(first_part)[0].version])
    assert tick(store, second.cursor).skip_message


def test_a_days_files_of_every_table_are_loaded_by_one_run(store, tick):
    keys = [export_file_key(t, "2026-11-03", 0) for t in ("customers", "products", "orders", "order_items")]
    for key in [*keys, export_file_key("orders", "2026-11-03", 1), export_file_key("orders", "2026-11-04", 0)]:
        land(store, key, key.encode())
    result = tick(store, None)
    by_day = {r.partition_key: r for r in result.run_requests}
    assert sorted(by_day) == ["2026-11-03", "2026-11-04"]
    assert by_day["2026-11-03"].asset_selection == sorted(
        raw_table_key(t) for t in ("customers", "products", "orders", "order_items")
    )
    assert len(result.asset_events) == 6  # every file version is still recorded on its own
    assert all(
        version_tag(o.version) in by_day["2026-11-03"].tags for o in store.list_objects("shop/") if "11-03" in o.key
    )


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
        assert len(result.asset_events) <= 500  # the per-tick budget
        seen += [event.metadata["key"].value for event in result.asset_events]
        cursor, ticks = result.cursor, ticks + 1
    assert ticks == 3
    assert sorted(seen) == sorted(keys) and len(seen) == len(set(seen))


def unmapped_report(result: dg.SensorResult) -> dict[str, tuple[int, str]]:
    """asset -> (count, listed keys) of the unmapped-keys check evaluations a tick reported."""
    return {
        e.asset_key.to_user_string(): (e.metadata[UNMAPPED_KEYS_CHECK].value, e.metadata["first_unmapped_keys"].value)
        for e in result.asset_events
        if isinstance(e, dg.AssetCheckEvaluation)
    }


def test_keys_that_map_to_no_partition_are_reported_once_per_change_and_never_loaded(store, tick, instance):
    land(store, "shop/orders/_SUCCESS", b"")  # a marker: not data, not reported
    land(store, "shop/orders/dt=latest/part-0000.jsonl.gz", b"x")
    land(store, "shop/orders/dt=2026-02-30/part-0000.jsonl.gz", b"x")
    land(store, export_file_key("orders", "2019-01-01", 0), b"before the first partition")
    land(store, "shop/unknown_table/dt=2026-11-03/part-0000.jsonl.gz", b"x")
    land(store, export_file_key("customers", "2026-11-03", 0), b"a good file")
    first = tick(store, None)
    assert [r.partition_key for r in first.run_requests] == ["2026-11-03"]
    report = unmapped_report(first)
    count, listed = report["s3/shop/orders"]
    assert count == 4  # its three and the unknown table's, which may be any table's
    assert "dt=latest is not a calendar date" in listed and "dt=2026-02-30 is not a calendar date" in listed
    assert "2019-01-01 is before the first one (2026-01-01)" in listed and "names no known table" in listed
    assert report["s3/shop/customers"][0] == 1 and "unknown_table" in report["s3/shop/customers"][1]
    check = instance.get_latest_asset_check_evaluation_record(
        dg.AssetCheckKey(export_files_key("orders"), UNMAPPED_KEYS_CHECK)
    )
    assert check.evaluation.passed is False and check.evaluation.severity == dg.AssetCheckSeverity.WARN

    again = tick(store, first.cursor)  # the next lap meets the same keys: nothing new to say
    assert unmapped_report(again) == {}

    store.delete("shop/unknown_table/dt=2026-11-03/part-0000.jsonl.gz")
    fixed = unmapped_report(tick(store, again.cursor))
    assert fixed["s3/shop/orders"][0] == 3 and fixed["s3/shop/customers"] == (0, "none")


def test_unmapped_keys_are_named_in_the_sensor_log_at_info_level(store, instance, capfd):
    land(store, "shop/orders/dt=latest/part-0000.jsonl.gz", b"x")
    with dg.build_sensor_context(instance=instance) as context:
        landing_tick(context, store, export_route, recent_prefixes=[])
    logged = capfd.readouterr().err
    assert "INFO - 1 key maps to no partition under shop/: shop/orders/dt=latest/part-0000.jsonl.gz" in logged


def test_the_check_run_from_the_ui_lists_the_bucket_and_agrees_with_the_sensor(store, tick, instance):
    land(store, "shop/orders/dt=latest/part-0000.jsonl.gz", b"x")
    only_checks = dg.AssetSelection.all_asset_checks()
    result = dg.materialize([*export_files, *checks], resources={"s3": store}, instance=instance, selection=only_checks)
    failed = {e.asset_key.to_user_string() for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"s3/shop/orders"} and len(result.get_asset_check_evaluations()) == 4
    assert unmapped_report(tick(store, None)) == {}  # the same set as the check found: nothing new to report


def test_a_lap_reports_only_the_keys_of_the_whole_lap_across_budgeted_ticks(store, instance, capfd):
    """Slices of 2 over 5 objects: the report comes once, at the end of the lap, and counts every key."""
    for day in ("latest", "2026-02-30", "2026-13-01"):
        land(store, f"shop/orders/dt={day}/part-0000.jsonl.gz", b"x")
    for part in (0, 1):
        land(store, export_file_key("orders", "2026-11-03", part), b"%d" % part)
    cursor, reports = None, []
    for _ in range(3):
        with dg.build_sensor_context(cursor=cursor, instance=instance) as context:
            result = landing_tick(context, store, export_route, recent_prefixes=[], slice_size=2)
        reports.append(unmapped_report(result))
        cursor = result.cursor
        for event in result.asset_events:
            instance.report_runless_asset_event(event)
    assert reports[:2] == [{}, {}] and reports[2]["s3/shop/orders"][0] == 3
    assert "3 keys map to no partition under shop/" in capfd.readouterr().err  # counted across the lap's ticks


def test_files_a_backfill_already_loaded_are_not_loaded_again(store, tick, instance):
    key = export_file_key("orders", "2026-11-03", 0)
    land(store, key, b"v1")
    record_load(instance, "orders", "2026-11-03", [store.list_page("shop/")[0].version])  # e.g. make demo
    result = tick(store, None)
    assert result.run_requests == [] and result.asset_events == [] and result.skip_message


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
    tag = version_tag(f"{key}@{hashlib.md5(b'v1').hexdigest()}")
    assert tag in back.run_requests[0].tags and tag in v1.run_requests[0].tags  # same file version ...
    assert back.run_requests[0].tags[f"{tag}.state"] != v1.run_requests[0].tags[f"{tag}.state"]  # ... other state


# ------------------------------------------------------------------ a tick's work is bounded, not the bucket


def objects_looked_at(result: dg.SensorResult) -> int:
    """How many objects a tick that found nothing new looked at, as its skip reason says."""
    message = result.skip_reason.skip_message
    return int(re.search(r"\(([\d,]+) objects looked at\)", message).group(1).replace(",", ""))


def test_a_tick_looks_at_recent_days_and_one_slice_and_a_late_file_is_found_within_one_lap(store, instance):
    """A bucket of 300 loaded files, a sweep slice of 50: each tick looks at at most 50 objects plus the
    recent days' prefixes; a file landing for yesterday is requested at the next tick; one landing late
    for an old day within one lap of the sweep (300 / 50 = 6 ticks, 7 with the empty last slice)."""
    days = [f"2026-{m:02d}-{d:02d}" for m in (3, 4, 5) for d in range(1, 26)]
    for day in days:
        for table in ("orders", "order_items", "customers", "products"):
            key = export_file_key(table, day, 0)
            record_load(instance, table, day, [store.write_bytes(key, key.encode()).version])

    def sweep_tick(cursor: str | None):
        with dg.build_sensor_context(cursor=cursor, instance=instance) as context:
            return landing_tick(context, store, export_route, recent_prefixes=recent, slice_size=50)

    yesterday = recent_business_days(2)[1]
    recent = [f"shop/orders/dt={day}/" for day in recent_business_days(2)]
    cursor, looked_at = None, []
    while not looked_at or SweepCursor.parse(cursor).after:  # one lap, until the sweep starts over
        result = sweep_tick(cursor)
        looked_at.append(objects_looked_at(result))
        cursor = result.cursor
    # 50 a tick (a last, empty slice tells the sweep it reached the end, as a short page would)
    assert max(looked_at) == 50 and sum(looked_at) == 300 and len(looked_at) <= 7
    assert len(cursor) < 100  # the cursor is the sweep position only, whatever the bucket holds

    land(store, export_file_key("orders", yesterday, 0), b"yesterday")
    land(store, export_file_key("customers", "2026-03-02", 1), b"late part of an old day")
    found_late, ticks = [], 0
    while not found_late:
        result = sweep_tick(cursor)
        requested = [r.partition_key for r in result.run_requests]
        if ticks == 0:
            assert yesterday in requested  # the recent prefixes are listed every tick
        found_late = [p for p in requested if p == "2026-03-02"]
        cursor, ticks = result.cursor, ticks + 1
        assert ticks <= 7
