"""Figure 4: one tick of the real `shop_exports_sensor` over buckets of landed export files.

- cumulus: the sensor evaluated as the daemon does (`evaluate_tick` over `build_sensor_context` with the
  definitions and an instance), in one process as a code server would: the first tick from an empty
  cursor over a bucket nothing has loaded yet (it requests the first 500 loads), then a steady-state tick
  over the same bucket with every file loaded and nothing new (recorded in a second instance);
- baseline: the bare listing of the same prefix, in a fresh process: an `os.scandir` walk with a stat per
  file (key, size, mtime; no etag) locally, the boto3 `list_objects_v2` paginator on S3.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dagster as dg

from bench.data import bench_home, landed_content, landed_objects, local_bucket
from bench.measure import Figure, figure
from contracts.shop import SOURCE
from resources.storage.interface import ObjectStore
from resources.storage.local import LocalObjectStore

PREFIX = f"{SOURCE}/"
LISTED = [0]  # objects the sensor's store handed out in this process (one process per sample)
_INSIDE_LIST_OBJECTS = [False]  # a store whose list_objects pages through list_page: count those once


class _CountingListing:
    def list_page(self, prefix: str, start_after: str = "", page_size: int = 1000) -> list:
        page = super().list_page(prefix, start_after=start_after, page_size=page_size)
        if not _INSIDE_LIST_OBJECTS[0]:
            LISTED[0] += len(page)
        return page

    def list_objects(self, prefix: str, page_size: int = 1000) -> Iterator:
        _INSIDE_LIST_OBJECTS[0] = True
        try:
            for obj in super().list_objects(prefix, page_size=page_size):
                LISTED[0] += 1
                yield obj
        finally:
            _INSIDE_LIST_OBJECTS[0] = False


@cache
def counting(store_class: type[ObjectStore]) -> type[ObjectStore]:
    """`store_class`, with listings that count the objects they hand out (into LISTED)."""
    return type(f"Counting{store_class.__name__}", (_CountingListing, store_class), {})


@dataclass(frozen=True)
class Bucket:
    """Where the landed objects are: a local folder, or a bucket on an S3 endpoint."""

    kind: str  # "local" or "s3"
    location: str  # the folder, or the endpoint URL
    objects: int

    def store(self) -> ObjectStore:
        if self.kind == "local":
            return counting(LocalObjectStore)(root=self.location)
        # Imported here: dagster-aws costs about 3 CPU seconds, which the local figures need not pay.
        from bench.s3_bucket import BUCKET
        from devtools.emulators import FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION
        from resources.storage.s3 import S3ObjectStore

        return counting(S3ObjectStore)(
            bucket=BUCKET, region=FAKE_AWS_REGION, endpoint_url=self.location, **FAKE_AWS_CREDENTIALS
        )


def code_server(bucket: Bucket) -> tuple[dg.Definitions, dg.DagsterInstance, dg.DagsterInstance]:
    """What the code server and daemon hold before a tick: the definitions and an instance (one where
    nothing is loaded yet, one where every landed file is)."""
    from definitions import build_definitions
    from resources.settings import Settings

    home = bench_home()
    atexit.register(shutil.rmtree, home, True)
    loaded = dg.DagsterInstance.ephemeral()
    record_every_load(loaded, bucket.objects)
    return build_definitions(Settings(env="local", home=home)), dg.DagsterInstance.ephemeral(), loaded


def record_every_load(instance: dg.DagsterInstance, count: int) -> None:
    """What finished loads of every partition leave in the instance: the file versions each read."""
    from assets.kpi.sources import export_route
    from assets.landing_versions import LOADED_FILE_VERSIONS

    versions: dict[tuple, list[str]] = {}
    for key, _landed in landed_objects(count):
        target = export_route.target(key)
        versions.setdefault((target.load_asset, target.partition_key), []).append(
            f"{key}@{hashlib.md5(landed_content(key)).hexdigest()}"
        )
    for (asset_key, partition), read in versions.items():
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key, partition=partition, metadata={LOADED_FILE_VERSIONS: read})
        )


def evaluate(defs: dg.Definitions, instance: dg.DagsterInstance, store: ObjectStore, cursor: str | None):
    from assets.kpi.sources import shop_exports_sensor

    with dg.build_sensor_context(cursor=cursor, resources={"s3": store}, definitions=defs, instance=instance) as ctx:
        return shop_exports_sensor.evaluate_tick(ctx)


def first_then_steady_tick(bucket: Bucket, prepared: tuple) -> dict[str, float]:
    """Times one tick over a bucket nothing has loaded, then one over the same bucket all loaded (it must
    skip), both from the start of the sweep."""
    defs, nothing_loaded, all_loaded = prepared
    store = bucket.store()
    began = time.perf_counter()
    first = evaluate(defs, nothing_loaded, store, None)
    first_seconds, first_listed = time.perf_counter() - began, LISTED[0]
    LISTED[0] = 0
    began = time.perf_counter()
    steady = evaluate(defs, all_loaded, store, None)
    steady_seconds = time.perf_counter() - began
    assert steady.skip_message and not steady.run_requests, "with every file loaded a tick finds nothing new"
    return {
        "first_s": first_seconds,
        "steady_s": steady_seconds,
        "listed_first": first_listed,
        "listed_steady": LISTED[0],
        "files_requested": len(first.asset_events),
        "run_requests": len(first.run_requests),
        "cursor_bytes": len(steady.cursor),
    }


def ticks_per_lap(objects: int) -> int:
    """Ticks the sweep takes over the whole bucket: the bound on how late a file for an old day is seen
    (a last, empty slice tells it the lap is over when the bucket is a whole number of slices)."""
    from assets.landing import SWEEP_SLICE

    return objects // SWEEP_SLICE + 1


def bare_listing(bucket: Bucket) -> int:
    if bucket.kind == "local":
        return _scandir_walk(Path(bucket.location) / PREFIX)
    import boto3

    from bench.s3_bucket import BUCKET
    from devtools.emulators import FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION

    client = boto3.client("s3", endpoint_url=bucket.location, region_name=FAKE_AWS_REGION, **FAKE_AWS_CREDENTIALS)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX)
    return sum(len(page.get("Contents", [])) for page in pages)


def _scandir_walk(folder: Path) -> int:
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                count += _scandir_walk(Path(entry.path))
            else:
                entry.stat()
                count += 1
    return count


@dataclass(frozen=True)
class TickFigures:
    ticks: Figure  # values: the dicts of first_then_steady_tick
    bare: Figure

    def median(self, name: str) -> float:
        return statistics.median(s.value[name] for s in self.ticks.samples)


@contextmanager
def buckets(kind: str, data: Path, count: int) -> Iterator[Bucket]:
    if kind == "local":
        yield Bucket(kind, str(local_bucket(data, count)), count)
        return
    from bench.s3_bucket import s3_bucket

    with s3_bucket(count) as endpoint:
        yield Bucket(kind, endpoint, count)


def measure(data: Path, counts: list[int], repeats: int) -> dict[tuple[str, int], TickFigures]:
    results = {}
    for kind in ("local", "s3"):
        for count in counts:
            began = time.perf_counter()
            with buckets(kind, data, count) as bucket:
                print(f"  {kind} bucket of {count:,} objects ready in {time.perf_counter() - began:.0f} s", flush=True)
                results[kind, count] = TickFigures(
                    figure(
                        f"{kind} {count}: first + steady tick",
                        repeats,
                        first_then_steady_tick,
                        bucket,
                        setup=code_server,
                    ),
                    figure(f"{kind} {count}: bare listing", repeats, bare_listing, bucket),
                )
    return results
