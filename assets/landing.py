"""Landed files: external raw-file assets and the new-file sensor that records them and requests loads.

The sensor lists a prefix page by page and finds the deliveries (key, etag, last-modified) it has not
handled yet. For each whose content (key@etag) the partition's latest load has not read already, it
records a materialization of the raw-file asset's partition (key, etag, size and last-modified in the
metadata, so the UI shows which file version fed which load) and requests a load of that partition
with the object version in the run key: a corrected re-upload (new etag) reruns, an identical
re-delivery does not (already loaded, or the same run key while its load is queued).

Cursor: a watermark on last_modified plus the deliveries seen within `OVERLAP` before it, because
listings are eventually consistent and timestamps coarse (S3: one second), so an object can appear
late with a last_modified at or just behind the watermark; keys alone cannot order arrivals, since a
late file for a past day sorts before today's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    AssetSpec,
    DagsterInstance,
    MetadataValue,
    PartitionsDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
)

from resources.storage import ObjectStore, StoredObject

OVERLAP = timedelta(minutes=10)
LOADED_FILE_VERSIONS = "file_versions"  # metadata of a load: the `key@etag` of every file it read
DAY_PARTITION_IN_KEY = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")


@dataclass(frozen=True)
class LandingRoute:
    """Where a landed object goes: the raw-file asset it is a version of, and the asset that loads it."""

    files_asset: AssetKey
    load_asset: AssetKey
    partition_key: str


@dataclass
class LandingCursor:
    watermark: datetime
    recent: dict[str, datetime]  # deliveries (key, etag, last_modified) within OVERLAP of the watermark

    @classmethod
    def parse(cls, raw: str | None) -> LandingCursor:
        if not raw:
            return cls(datetime(1970, 1, 1, tzinfo=UTC), {})
        data = json.loads(raw)
        return cls(
            datetime.fromisoformat(data["watermark"]),
            {v: datetime.fromisoformat(t) for v, t in data["recent"].items()},
        )

    def serialize(self) -> str:
        recent = {v: t.isoformat() for v, t in sorted(self.recent.items())}
        return json.dumps({"watermark": self.watermark.isoformat(), "recent": recent})

    def is_new(self, obj: StoredObject) -> bool:
        return obj.last_modified >= self.watermark - OVERLAP and obj.delivery not in self.recent

    def advance(self, handled: Sequence[StoredObject]) -> LandingCursor:
        watermark = max([self.watermark, *(o.last_modified for o in handled)])
        recent = {**self.recent, **{o.delivery: o.last_modified for o in handled}}
        return LandingCursor(watermark, {v: t for v, t in recent.items() if t >= watermark - OVERLAP})


def new_objects(objects: Iterable[StoredObject], cursor: LandingCursor, budget: int) -> list[StoredObject]:
    """The oldest `budget` object versions the cursor has not handled, in (last_modified, key) order."""
    return sorted(o for o in objects if cursor.is_new(o))[:budget]


def day_partition_of(key: str, partitions_def: PartitionsDefinition) -> str | None:
    """The day partition a `.../dt=YYYY-MM-DD/...` key belongs to, if that partition exists."""
    match = DAY_PARTITION_IN_KEY.search(key)
    if not match:
        return None
    return match.group(1) if partitions_def.has_partition_key(match.group(1)) else None


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
    """The file versions the latest load of each partition read, looked up once per partition and tick.

    Run keys de-duplicate what this sensor itself requested while its loads are queued; this also covers
    loads it never requested (a backfill or `make demo` that ran before the sensor first ticked).
    """

    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance
        self._cache: dict[tuple[AssetKey, str], frozenset[str]] = {}

    def of(self, route: LandingRoute) -> frozenset[str]:
        slot = (route.load_asset, route.partition_key)
        if slot not in self._cache:
            self._cache[slot] = self._latest(*slot)
        return self._cache[slot]

    def _latest(self, asset_key: AssetKey, partition: str) -> frozenset[str]:
        records = self._instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition]), limit=1
        ).records
        if not records or records[0].asset_materialization is None:
            return frozenset()
        versions = records[0].asset_materialization.metadata.get(LOADED_FILE_VERSIONS)
        return frozenset(versions.value) if versions is not None else frozenset()


def run_key(obj: StoredObject, loaded_before: frozenset[str]) -> str:
    """The object version, plus what its partition held before: a re-delivery of content that is already
    requested or loaded maps to an existing key (Dagster skips it), while a key that goes back to an
    earlier content (v1, v2, then v1 again) gets a new one, because the partition then holds v2."""
    state = hashlib.sha1("\n".join(sorted(loaded_before)).encode()).hexdigest()[:12]
    return f"{obj.version}|{state}"


def landing_tick(
    context: SensorEvaluationContext,
    store: ObjectStore,
    *,
    prefix: str,
    route: Callable[[str], LandingRoute | None],
    budget: int = 500,
    page_size: int = 1000,
) -> SensorResult | SkipReason:
    """One tick of a new-file sensor: new object versions under `prefix` -> raw-file events + loads.

    `budget` caps the object versions handled per tick, so a bucket with a large backlog is worked off
    over several ticks of bounded cost instead of one tick that times out. Listing is paginated.
    """
    cursor = LandingCursor.parse(context.cursor)
    fresh = new_objects(store.list_objects(prefix, page_size=page_size), cursor, budget)
    if not fresh:
        return SkipReason(f"no new files under {prefix}")
    loaded = LoadedVersions(context.instance)
    events, requests = [], []
    for obj in fresh:
        target = route(obj.key)
        if target is None:
            context.log.warning(f"ignoring {obj.key}: not an export file of a known partition")
            continue
        already_loaded = loaded.of(target)
        if obj.version in already_loaded:
            continue  # e.g. files a backfill already loaded before this sensor first saw them
        events.append(file_materialization(target, obj))
        requests.append(
            RunRequest(
                run_key=run_key(obj, already_loaded),
                asset_selection=[target.load_asset],
                partition_key=target.partition_key,
                tags={"cumulus/trigger_file": obj.key, "cumulus/trigger_etag": obj.etag},
            )
        )
    return SensorResult(run_requests=requests, asset_events=events, cursor=cursor.advance(fresh).serialize())


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
