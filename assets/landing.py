"""Landed files: external raw-file assets and the new-file sensor that records them and requests loads.

A tick looks at a bounded part of the bucket, whatever its size: the prefixes of the last few days
(where almost every file lands; listed every tick, so a new export is seen at the next tick), plus the
next slice of a sweep over the whole prefix in key order that resumes where the last tick stopped and
starts over once it reaches the end (files that land late for older days are seen within one lap:
bucket size / slice ticks). For 100,000 objects a steady tick lists about 5,000 instead of 100,000
(figure 4 of docs/BENCHMARKS.md).

Whether a listed object is new is decided from durable state, not from timestamps: its version
(`key@etag`) is new unless the latest load of its partition read it, or a run for it is already
requested (queued or running, or the same request made before, which Dagster would skip). So a file
found late, or a whole bucket met for the first time, is judged the same way, and the cursor is only
the sweep's position. For each new version the tick records a materialization of the raw-file asset's
partition (key, etag, size and last-modified in the metadata, so the UI shows which file version fed
which load); the new versions of one day go to one run that loads every table among them (a day's four
exports: one run instead of four, each a process start of ~8 s, and the models downstream then follow
once instead of table by table). A corrected re-upload (new etag) reruns, an identical re-delivery does
not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    MetadataValue,
    PartitionsDefinition,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
)

from resources.storage.interface import ObjectStore, StoredObject

LOADED_FILE_VERSIONS = "file_versions"  # metadata of a load: the `key@etag` of every file it read
FILE_TAG_PREFIX = "cumulus/file."  # + a hash of each `key@etag` a load was requested for (version_tags)
DAY_PARTITION_IN_KEY = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")
# Objects a tick's sweep lists: 5 S3 calls. 100,000 objects take 21 ticks (about 5 min at 15 s) per lap.
SWEEP_SLICE = 5_000
# Object versions a tick checks against the runs (a query each) and may request loads for: a large
# backlog is worked off over several ticks of bounded cost instead of one tick that times out.
TICK_BUDGET = 500


@dataclass(frozen=True)
class LandingRoute:
    """Where a landed object goes: the raw-file asset it is a version of, and the asset that loads it."""

    files_asset: AssetKey
    load_asset: AssetKey
    partition_key: str


@dataclass(frozen=True)
class SweepCursor:
    """Where the sweep resumes: after this key ("" = from the start of the prefix)."""

    after: str = ""

    @classmethod
    def parse(cls, raw: str | None) -> SweepCursor:
        return cls(json.loads(raw).get("sweep_after", "")) if raw else cls()

    def serialize(self) -> str:
        return json.dumps({"sweep_after": self.after})


@dataclass(frozen=True)
class Listing:
    """What one tick looked at: the recent prefixes' objects, then the sweep's slice (key order)."""

    recent: list[StoredObject]
    swept: list[StoredObject]
    sweep_end: str  # where the next slice starts ("" once this one reached the end of the prefix)

    def in_order(self) -> list[tuple[StoredObject, bool]]:
        """(object, found by the sweep): the recent ones first, oldest first, then the rest of the slice."""
        recent_keys = {o.key for o in self.recent}
        return [(o, False) for o in sorted(self.recent)] + [(o, True) for o in self.swept if o.key not in recent_keys]


def list_for_tick(
    store: ObjectStore, prefix: str, recent_prefixes: Iterable[str], cursor: SweepCursor, slice_size: int
) -> Listing:
    recent = [o for p in recent_prefixes for o in store.list_objects(p)]
    swept = store.list_page(prefix, start_after=cursor.after, page_size=slice_size)  # S3: 1,000 keys a call
    return Listing(recent, swept, sweep_end=swept[-1].key if len(swept) == slice_size else "")


class ExistingDays:
    """Which days are partitions of a daily definition, asked for every listed object. Dagster answers in
    0.35 ms (it walks the cron schedule), 77% of a 5,000-object tick, so a day once found is remembered:
    time partitions only grow. A day that is not a partition yet (today's) is asked again."""

    def __init__(self, partitions_def: PartitionsDefinition) -> None:
        self._partitions_def = partitions_def
        self._known: set[str] = set()

    def __contains__(self, day: str) -> bool:
        if day not in self._known and self._partitions_def.has_partition_key(day):
            self._known.add(day)
        return day in self._known


def day_partition_of(key: str, days: ExistingDays) -> str | None:
    """The day partition a `.../dt=YYYY-MM-DD/...` key belongs to, if that partition exists."""
    match = DAY_PARTITION_IN_KEY.search(key)
    return match.group(1) if match and match.group(1) in days else None


def file_materialization(route: LandingRoute, obj: StoredObject) -> AssetMaterialization:
    return AssetMaterialization(
        asset_key=route.files_asset,
        partition=route.partition_key,
        description=f"landed {obj.key}",
        metadata={
            "key": MetadataValue.text(obj.key),
            "etag": MetadataValue.text(obj.etag),
            "size_bytes": MetadataValue.int(obj.size),
            "last_modified": MetadataValue.timestamp(obj.last_modified),
        },
    )


class LoadedVersions:
    """The file versions the latest load of each partition read: two queries per load asset and tick.

    Covers loads the sensor requested and those it did not (a backfill or `make demo`)."""

    def __init__(self, instance: DagsterInstance, routes: Iterable[LandingRoute]) -> None:
        partitions: dict[AssetKey, set[str]] = {}
        for route in routes:
            partitions.setdefault(route.load_asset, set()).add(route.partition_key)
        self._versions = {
            (asset_key, partition): versions
            for asset_key, keys in partitions.items()
            for partition, versions in _latest_loaded_versions(instance, asset_key, keys).items()
        }

    def of(self, route: LandingRoute) -> frozenset[str]:
        return self._versions.get((route.load_asset, route.partition_key), frozenset())


def _latest_loaded_versions(instance: DagsterInstance, asset_key: AssetKey, partitions: set[str]) -> dict:
    latest = instance.event_log_storage.get_latest_storage_id_by_partition(
        asset_key, DagsterEventType.ASSET_MATERIALIZATION, partitions
    )
    if not latest:
        return {}
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())), limit=len(latest)
    ).records
    loaded = {}
    for record in records:
        versions = record.asset_materialization.metadata.get(LOADED_FILE_VERSIONS)
        loaded[record.partition_key] = frozenset(versions.value) if versions is not None else frozenset()
    return loaded


def partition_state(loaded_before: frozenset[str]) -> str:
    """What a partition held when a load was requested: a re-delivery of content that is already
    requested or loaded is recognised, while a key that goes back to an earlier content (v1, v2, then v1
    again) is loaded again, because the partition then holds v2."""
    return hashlib.sha1("\n".join(sorted(loaded_before)).encode()).hexdigest()[:12]


def version_tag(version: str) -> str:
    """The run tag saying a load was requested for this `key@etag` (`<tag>.state`: in which state)."""
    return f"{FILE_TAG_PREFIX}{hashlib.sha1(version.encode()).hexdigest()[:16]}"


def version_tags(version: str, state: str) -> dict[str, str]:
    tag = version_tag(version)
    return {tag: "requested", f"{tag}.state": state}


def already_requested(instance: DagsterInstance, obj: StoredObject, state: str) -> bool:
    """A load of this version is queued or running, or was requested before in the same partition state
    (what Dagster's run keys de-duplicate; e.g. after that load failed, a corrected re-upload, with a new
    etag, is what retries). One query per version, as Dagster's own run-key check does."""
    tag = version_tag(obj.version)
    runs = instance.get_runs(RunsFilter(tags={tag: "requested"}))
    return any(not run.is_finished or run.tags.get(f"{tag}.state") == state for run in runs)


@dataclass
class PartitionLoad:
    """The new file versions of one partition found in a tick: one run loads them all."""

    partition_key: str
    versions: dict[str, tuple[LandingRoute, StoredObject, str]]  # version -> (route, object, state)

    def run_request(self) -> RunRequest:
        keys = sorted(obj.key for _, obj, _ in self.versions.values())
        shown = ", ".join(keys[:3]) + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "")
        tags = {t: value for v, (_, _, state) in self.versions.items() for t, value in version_tags(v, state).items()}
        return RunRequest(
            run_key=self.run_key(),
            asset_selection=sorted({route.load_asset for route, _, _ in self.versions.values()}),
            partition_key=self.partition_key,
            tags={"cumulus/trigger_files": shown, **tags},
        )

    def run_key(self) -> str:
        """The partition and what this run is for (each version with its partition's state): the same
        request made again is skipped by Dagster."""
        requested = "\n".join(f"{v}|{self.versions[v][2]}" for v in sorted(self.versions))
        return f"{self.partition_key}|{hashlib.sha1(requested.encode()).hexdigest()[:16]}"


def landing_tick(
    context: SensorEvaluationContext,
    store: ObjectStore,
    *,
    prefix: str,
    recent_prefixes: Sequence[str],
    route: Callable[[str], LandingRoute | None],
    budget: int = TICK_BUDGET,
    slice_size: int = SWEEP_SLICE,
) -> SensorResult:
    """One tick of a new-file sensor: new object versions under `prefix` -> raw-file events + loads."""
    cursor = SweepCursor.parse(context.cursor)
    listing = list_for_tick(store, prefix, recent_prefixes, cursor, slice_size)
    listed = listing.in_order()
    routes = {o.key: route(o.key) for o, _ in listed}
    loaded = LoadedVersions(context.instance, (r for r in routes.values() if r is not None))
    events, loads, ignored = [], {}, []
    sweep_at, checked = cursor.after, 0
    for obj, swept in listed:
        target = routes[obj.key]
        loaded_before = loaded.of(target) if target is not None else frozenset()
        if target is not None and obj.version not in loaded_before:
            if checked == budget:
                break  # the sweep resumes here next tick
            checked += 1
            state = partition_state(loaded_before)
            if not already_requested(context.instance, obj, state):
                events.append(file_materialization(target, obj))
                load = loads.setdefault(target.partition_key, PartitionLoad(target.partition_key, {}))
                load.versions[obj.version] = (target, obj, state)
        elif target is None:
            ignored.append(obj.key)
        if swept:
            sweep_at = obj.key
    else:
        sweep_at = listing.sweep_end
    requests = [load.run_request() for load in loads.values()]
    if ignored:
        # Not a warning: the sweep meets these again every lap (a _SUCCESS marker, a day before the first
        # partition, a day whose partition does not exist yet: loaded once it does).
        context.log.debug(f"not export files of a known partition: {', '.join(ignored[:5])} ...")
    skip = None if requests else SkipReason(f"no new files under {prefix} ({len(listed):,} objects looked at)")
    return SensorResult(
        run_requests=requests, asset_events=events, cursor=SweepCursor(sweep_at).serialize(), skip_reason=skip
    )


def raw_file_spec(
    key: AssetKey, *, description: str, partitions_def: PartitionsDefinition, group_name: str, kind: str
) -> AssetSpec:
    """An external asset for files that land from outside; the sensor records its versions."""
    return AssetSpec(
        key=key,
        description=description,
        partitions_def=partitions_def,
        group_name=group_name,
        kinds={kind, "json"},
    )
