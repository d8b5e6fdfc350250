"""Landed files: external raw-file assets and the new-file sensor that records them and requests loads.

A tick looks at a bounded part of the bucket, whatever its size: the prefixes of the last few days
(where almost every file lands; listed every tick, so a new export is seen at the next tick), plus the
next slice of a sweep over the whole prefix in key order that resumes where the last tick stopped and
starts over once it reaches the end (files that land late for older days are seen within one lap:
bucket size / slice ticks). For 100,000 objects a steady tick lists about 5,000 instead of 100,000
(figure 4 of docs/BENCHMARKS.md).

Whether a listed object is new is decided from durable state, not from timestamps: its version
(`key@etag`) is new unless the latest load of its partition read it, or a run for it is already
requested (queued or running, or the same request made before and ended on its own: succeeded, or failed
on the file's content; a load interrupted from outside, by a cancel or a killed worker, is requested
again, assets/landing_versions.load_request_attempt). So a file
found late, or a whole bucket met for the first time, is judged the same way, and the cursor is only
the sweep's position (and the lap's tally of unmapped keys, below). For each new version the tick records
a materialization of the raw-file asset's partition (key, etag, size and last-modified in the metadata,
so the UI shows which file version fed which load); the new versions of one partition go to one run that
loads every table among them (a day's four exports: one run instead of four, each a process start of
~8 s, and the models downstream then follow once instead of table by table). A corrected re-upload (new
etag) reruns, an identical re-delivery does not.

What a key means comes from its route (assets/landing_routes.py): a key layout of any granularity, the
raw-file asset per entity, the partitions, and optionally the load asset per entity. A route without
load assets only records: a version is new unless the latest materialization of its raw-file partition
lists it (`recorded_versions`: the latest version of each key of the partition), and no run is
requested. Keys that map to no partition are counted and named once a lap (assets/unmapped_keys.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    DagsterInstance,
    PartitionsDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
)

from assets.landing_routes import FileTarget, LandingRoute, UnmappedKey
from assets.landing_versions import (
    LOADED_FILE_VERSIONS,  # noqa: F401 (loads import it from here)
    LoadedVersions,
    RecordedVersions,
    file_materialization,
    load_request_attempt,
    partition_state,
    version_tags,
)
from assets.unmapped_keys import LapTally, changed_reports
from resources.storage.interface import ObjectStore, StoredObject

# Objects a tick's sweep lists: 5 S3 calls. 100,000 objects take 21 ticks (about 5 min at 15 s) per lap.
SWEEP_SLICE = 5_000
# Object versions a tick checks against the runs (a query each) and may request loads for: a large
# backlog is worked off over several ticks of bounded cost instead of one tick that times out.
TICK_BUDGET = 500


@dataclass(frozen=True)
class SweepCursor:
    """Where the sweep resumes: after this key ("" = from the start of the prefix), and the unmapped keys
    its lap met so far (None: the lap did not start at the beginning, so it reports nothing at its end)."""

    after: str = ""
    lap: LapTally | None = field(default_factory=LapTally)

    @classmethod
    def parse(cls, raw: str | None) -> SweepCursor:
        if not raw:
            return cls()
        state = json.loads(raw)
        after, lap = state.get("sweep_after", ""), state.get("unmapped")
        return cls(after, LapTally.from_json(lap) if lap is not None else None if after else LapTally())

    def serialize(self) -> str:
        return json.dumps({"sweep_after": self.after, "unmapped": self.lap.to_json() if self.lap else None})


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


@dataclass(frozen=True)
class RequestedVersion:
    """A version to load: its target, the object, its partition's state, and how many earlier requests
    for it were interrupted (landing_versions.load_request_attempt)."""

    target: FileTarget
    obj: StoredObject
    state: str
    attempt: int


@dataclass
class PartitionLoad:
    """The new file versions of one partition found in a tick: one run loads them all."""

    partition_key: str
    versions: dict[str, RequestedVersion]

    def run_request(self) -> RunRequest:
        keys = sorted(r.obj.key for r in self.versions.values())
        shown = ", ".join(keys[:3]) + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "")
        tags = {t: value for v, r in self.versions.items() for t, value in version_tags(v, r.state).items()}
        return RunRequest(
            run_key=self.run_key(),
            asset_selection=sorted({r.target.load_asset for r in self.versions.values()}),
            partition_key=self.partition_key,
            tags={"cumulus/trigger_files": shown, **tags},
        )

    def run_key(self) -> str:
        """The partition and what this run is for (each version with its partition's state, and the
        attempt after an interrupted one): the same request made again is skipped by Dagster."""
        requested = "\n".join(_requested_line(v, self.versions[v]) for v in sorted(self.versions))
        return f"{self.partition_key}|{hashlib.sha1(requested.encode()).hexdigest()[:16]}"


def _requested_line(version: str, requested: RequestedVersion) -> str:
    # A first request keeps the key it always had; a request after interrupted ones gets a new one.
    return f"{version}|{requested.state}" + (f"|{requested.attempt}" if requested.attempt else "")


class TickWork:
    """What one tick found new: raw-file events and, for targets with a load asset, the loads to request."""

    def __init__(self, instance: DagsterInstance, targets: Sequence[FileTarget]) -> None:
        self._instance = instance
        self._now = time.time()
        self._loaded = LoadedVersions(instance, [t for t in targets if t.load_asset is not None])
        self._recorded = RecordedVersions(instance, [t for t in targets if t.load_asset is None])
        self.events: list[AssetMaterialization] = []
        self.loads: dict[str, PartitionLoad] = {}

    def is_known(self, target: FileTarget, obj: StoredObject) -> bool:
        """Recorded already (record-only), or read by the latest load of its partition."""
        if target.load_asset is None:
            return self._recorded.holds(target, obj)
        return obj.version in self._loaded.of(target)

    def take(self, target: FileTarget, obj: StoredObject) -> None:
        if target.load_asset is None:
            self.events.append(self._recorded.record(target, obj))
            return
        state = partition_state(self._loaded.of(target))
        attempt = load_request_attempt(self._instance, obj, state, self._now)
        if attempt is not None:
            self.events.append(file_materialization(target, obj))
            load = self.loads.setdefault(target.partition_key, PartitionLoad(target.partition_key, {}))
            load.versions[obj.version] = RequestedVersion(target, obj, state, attempt)


def landing_tick(
    context: SensorEvaluationContext,
    store: ObjectStore,
    route: LandingRoute,
    *,
    recent_prefixes: Sequence[str],
    budget: int = TICK_BUDGET,
    slice_size: int = SWEEP_SLICE,
) -> SensorResult:
    """One tick of a new-file sensor over `route`'s root: new object versions -> raw-file events (and
    loads, if the route loads); at the end of a lap, the report of keys that map to no partition."""
    prefix = route.layout.root
    cursor = SweepCursor.parse(context.cursor)
    listing = list_for_tick(store, prefix, recent_prefixes, cursor, slice_size)
    listed = listing.in_order()
    targets = {o.key: route.target(o.key) for o, _ in listed}
    work = TickWork(context.instance, [t for t in targets.values() if isinstance(t, FileTarget)])
    sweep_at, checked, lap_over = cursor.after, 0, False
    for obj, swept in listed:
        target = targets[obj.key]
        if isinstance(target, FileTarget) and not work.is_known(target, obj):
            if checked == budget:
                break  # the sweep resumes here next tick
            checked += 1
            work.take(target, obj)
        if swept:
            sweep_at = obj.key
    else:
        sweep_at, lap_over = listing.sweep_end, listing.sweep_end == ""
    lap, reports = _tally_unmapped(context, route, cursor.lap, listing.swept, targets, sweep_at, lap_over)
    requests = [load.run_request() for load in work.loads.values()]
    looked_at = f"({len(listed):,} objects looked at)"
    if work.events and not requests:
        skip = SkipReason(f"recorded {len(work.events):,} new file versions under {prefix}, none to load {looked_at}")
    else:
        skip = None if requests else SkipReason(f"no new files under {prefix} {looked_at}")
    return SensorResult(
        run_requests=requests,
        asset_events=[*work.events, *reports],
        cursor=SweepCursor(sweep_at, lap).serialize(),
        skip_reason=skip,
    )


def _tally_unmapped(
    context: SensorEvaluationContext,
    route: LandingRoute,
    lap: LapTally | None,
    swept: list[StoredObject],
    targets: dict[str, FileTarget | UnmappedKey | None],
    sweep_at: str,
    lap_over: bool,
) -> tuple[LapTally | None, list[AssetCheckEvaluation]]:
    """Adds the unmapped keys of the part of the slice this tick got through (all of it, or up to
    `sweep_at` if the budget stopped it) to the lap; once the lap is over, reports what changed."""
    if lap is None:  # a lap that began mid-way (an older cursor): it cannot tell the whole set
        return (LapTally() if lap_over else None), []
    for obj in swept:
        if not lap_over and obj.key > sweep_at:
            break
        target = targets[obj.key]
        if isinstance(target, UnmappedKey):
            lap.add(target)
    if not lap_over:
        return lap, []
    reports = changed_reports(context.instance, route, lap)
    root = route.layout.root
    if reports and lap.route.count:
        context.log.info(f"{lap.route.keys_map()} to no partition under {root}: {lap.route.named()}")
    elif reports:
        context.log.info(f"every key under {root} maps to a partition again")
    return LapTally(), reports


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
