"""The asset graph as run groups: one group per partitions definition, upstream groups first.

A single-run backfill covers one partitions definition, so a range of business days becomes one run per
group (hourly raw files, daily models, weekly and monthly rollups, then the unpartitioned dashboards). The
groups and their order come from the graph itself, so a new pipeline's partitionings need no change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph  # what resolve_asset_graph returns


class RangeRefused(ValueError):
    """A range of business days that some partitioned assets cannot cover; nothing has run."""


@dataclass(frozen=True)
class PartitionGroup:
    """The materializable assets sharing one partitions definition (None: unpartitioned), in graph order."""

    partitions_def: dg.TimeWindowPartitionsDefinition | None
    asset_keys: tuple[dg.AssetKey, ...]

    @property
    def label(self) -> str:
        return describe(self.partitions_def)

    def keys_for_days(self, first: date, last: date) -> list[str | None]:
        """The partition keys covering the business days [first, last]; [None] when unpartitioned."""
        if self.partitions_def is None:
            return [None]
        try:
            return keys_for_days(self.partitions_def, first, last)
        except RangeRefused as refused:
            others = f" and {len(self.asset_keys) - 1} more" if len(self.asset_keys) > 1 else ""
            raise RangeRefused(f"{refused}, of {self.asset_keys[0].to_user_string()}{others}") from None


def describe(partitions_def: dg.PartitionsDefinition | None) -> str:
    """`daily`, `hourly`, ... or the cron schedule; `unpartitioned` for None."""
    if partitions_def is None:
        return "unpartitioned"
    schedule = getattr(partitions_def, "schedule_type", None)
    return schedule.value.lower() if schedule else getattr(partitions_def, "cron_schedule", str(partitions_def))


def _window(partitions_def: dg.TimeWindowPartitionsDefinition, first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(partitions_def.timezone or "UTC")
    return datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)


def keys_for_days(partitions_def: dg.TimeWindowPartitionsDefinition, first: date, last: date) -> list[str]:
    """Every partition key whose window overlaps the business days [first, last], computed from the range
    (not by listing every partition since the start: 90 days of hourly keys, not a year's).

    Refuses (RangeRefused) a range that is empty or reaches outside the partitions that exist now: before
    the first one, or into a period whose partition does not exist yet.
    """
    if last < first:
        raise RangeRefused(f"the range {first}..{last} is empty: its last day is before its first")
    start, end = _window(partitions_def, first, last)
    first_window = partitions_def.get_first_partition_window()
    last_window = partitions_def.get_last_partition_window()
    if first_window is None or last_window is None:
        raise RangeRefused(f"no {describe(partitions_def)} partition exists yet")
    if start < first_window.start or end > last_window.end:
        span = f"{first_window.start.date()}..{(last_window.end - timedelta(seconds=1)).date()}"
        raise RangeRefused(f"{first}..{last} is outside the {describe(partitions_def)} partitions ({span})")
    keys = dg.PartitionKeyRange(
        partitions_def.get_partition_key_for_timestamp(start.timestamp()),
        partitions_def.get_partition_key_for_timestamp(end.timestamp() - 1),
    )
    return list(partitions_def.get_partition_keys_in_range(keys))


def _window_length(partitions_def: dg.TimeWindowPartitionsDefinition | None) -> float:
    if partitions_def is None:
        return float("inf")
    window = partitions_def.get_first_partition_window()
    return (window.end - window.start).total_seconds() if window else float("inf")


def partition_groups(graph: AssetGraph) -> list[PartitionGroup]:
    """Materializable assets grouped by partitions definition, each group after the groups it reads from.

    An asset's stage is the number of partitioning changes on its longest path from the graph's roots: a
    group is the assets of one stage and one partitions definition, so an unpartitioned seed feeding daily
    models runs before them, and an unpartitioned dashboard reading weekly rollups after them. Within a
    stage, shorter partitions run first and unpartitioned assets last. Refuses partitions that are not
    time windows.
    """
    stage: dict[dg.AssetKey, int] = {}
    members: dict[tuple[int, object], list[dg.AssetKey]] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        if node.partitions_def is not None and not isinstance(node.partitions_def, dg.TimeWindowPartitionsDefinition):
            raise ValueError(f"{key.to_user_string()}: only time-window partitions can be run for a range of days")
        stage[key] = max(
            (stage[p] + (graph.get(p).partitions_def != node.partitions_def) for p in node.parent_keys if p in stage),
            default=0,
        )
        members.setdefault((stage[key], node.partitions_def), []).append(key)
    ordered = sorted(members, key=lambda group: (group[0], _window_length(group[1])))
    return [PartitionGroup(partitions_def, tuple(members[(s, partitions_def)])) for s, partitions_def in ordered]
