"""Landing routes: where the files of one key layout go, declared once per source.

A route is a layout (contracts/layout.py), the raw-file asset of each entity, the partitions definition,
and optionally the asset that loads each entity's partitions. Without load assets a route only records
the landed versions (the hourly Amplitude files, which a 07:00 job consumes); with them the landing
sensor also requests the loads (assets/landing.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import AssetKey, TimeWindowPartitionsDefinition

from contracts.layout import KeyLayout, UnmappedKeyError, is_marker


@dataclass(frozen=True)
class FileTarget:
    """Where one landed file goes: its raw-file asset's partition, and the asset that loads it (if any)."""

    files_asset: AssetKey
    partition_key: str
    load_asset: AssetKey | None


@dataclass(frozen=True)
class UnmappedKey:
    """A key under a route's root that maps to no partition, why, and the raw-file assets it concerns."""

    key: str
    reason: str
    files_assets: tuple[AssetKey, ...]


class ExistingPartitions:
    """Which keys are partitions of a time-partitions definition, asked for every listed object. Dagster
    answers in 0.35 ms (it walks the cron schedule), 77% of a 5,000-object tick, so a key once found is
    remembered: time partitions only grow. One that is not a partition yet is asked again."""

    def __init__(self, partitions_def: TimeWindowPartitionsDefinition) -> None:
        self._partitions_def = partitions_def
        self._known: set[str] = set()

    def __contains__(self, partition_key: str) -> bool:
        if partition_key not in self._known and self._partitions_def.has_partition_key(partition_key):
            self._known.add(partition_key)
        return partition_key in self._known

    def why_not(self, partition_key: str) -> str:
        """Why a well-formed key is not a partition: keys of one format sort in time order."""
        first = self._partitions_def.get_first_partition_key()
        if first is not None and partition_key < first:
            return f"partition {partition_key} is before the first one ({first})"
        return f"partition {partition_key} does not exist yet (it is loaded once it does)"


@dataclass(frozen=True, eq=False)
class LandingRoute:
    """The files of `layout` under its root: each entity's raw-file asset, partitioned by `partitions_def`,
    and the asset loading each entity (none: the route only records landed versions)."""

    name: str
    layout: KeyLayout
    files_assets: Mapping[str, AssetKey]
    partitions_def: TimeWindowPartitionsDefinition
    load_assets: Mapping[str, AssetKey] | None = None
    _existing: ExistingPartitions = field(init=False, repr=False)

    def __post_init__(self) -> None:
        layout, partitions = self.layout, self.partitions_def
        if partitions.fmt != layout.granularity.key_format or partitions.timezone != layout.timezone:
            raise ValueError(
                f"route {self.name}: {type(layout).__name__} has {layout.granularity.value} keys in "
                f"{layout.timezone} ({layout.granularity.key_format}); the partitions are "
                f"{partitions.fmt} in {partitions.timezone}"
            )
        if self.load_assets is not None and set(self.load_assets) != set(self.files_assets):
            raise ValueError(
                f"route {self.name}: load assets for {sorted(self.load_assets)}, files of {sorted(self.files_assets)}"
            )
        object.__setattr__(self, "_existing", ExistingPartitions(partitions))

    @property
    def records_only(self) -> bool:
        return self.load_assets is None

    def target(self, key: str) -> FileTarget | UnmappedKey | None:
        """Where a listed key goes; None for a marker file (`_SUCCESS`), which is no data and no news."""
        if is_marker(key):
            return None
        try:
            location = self.layout.locate(key)
        except UnmappedKeyError as error:
            return self._unmapped(key, error.reason, self.layout.entity_of(key))
        if location.entity not in self.files_assets:
            return self._unmapped(key, f"names no known {self.layout.entity_kind}", location.entity)
        if location.partition_key not in self._existing:
            return self._unmapped(key, self._existing.why_not(location.partition_key), location.entity)
        load = None if self.load_assets is None else self.load_assets[location.entity]
        return FileTarget(self.files_assets[location.entity], location.partition_key, load)

    def _unmapped(self, key: str, reason: str, entity: str | None) -> UnmappedKey:
        """A key whose entity is known concerns that entity's files; any other, every entity of the route
        (`shop/order/...` may well be meant for `orders`)."""
        if entity in self.files_assets:
            return UnmappedKey(key, reason, (self.files_assets[entity],))
        return UnmappedKey(key, reason, tuple(self.files_assets.values()))

    def recent_prefixes(self, count: int, now: datetime | None = None) -> list[str]:
        """The prefixes of the partition holding `now` and the `count - 1` before it, for every entity:
        where almost every file lands, listed by each tick of the landing sensor."""
        now = (now or datetime.now(ZoneInfo(self.layout.timezone))).astimezone(ZoneInfo(self.layout.timezone))
        keys = self.layout.granularity.recent_keys(now, count)
        return [self.layout.partition_prefix(entity, key) for entity in self.files_assets for key in keys]
