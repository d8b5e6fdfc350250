"""Run a pipeline's assets for a range of business days in-process, the way a single-run backfill does."""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import date

import dagster as dg

from assets.partitions import daily_partitions, monthly_partitions, weekly_partitions

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def covering_keys(partitions_def: dg.TimeWindowPartitionsDefinition, first: date, last: date) -> tuple[str, str]:
    """The first and last partition keys whose windows overlap the business days [first, last]."""
    keys = partitions_def.get_partition_keys()
    starts = [partitions_def.time_window_for_partition_key(k) for k in keys]
    overlapping = [k for k, w in zip(keys, starts, strict=True) if w.start.date() <= last and w.end.date() > first]
    if not overlapping:
        raise ValueError(f"no {partitions_def} partition overlaps {first}..{last}")
    return overlapping[0], overlapping[-1]


def materialize_range(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: Sequence[dg.AssetKey],
    first_key: str,
    last_key: str,
    raise_on_error: bool = True,
    hooks: Set[dg.HookDefinition] = frozenset(),
) -> dg.ExecuteInProcessResult:
    """One run over a partition range: what the UI's single-run backfill launches.

    `hooks` run after each step (success or failure hooks), e.g. to alert, or in tests to interrupt a run.
    """
    job = defs.resolve_implicit_global_asset_job_def()
    if hooks:
        job = job.with_hooks(set(hooks))
    tags = {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key}
    return job.execute_in_process(
        instance=instance, asset_selection=list(keys), tags=tags, raise_on_error=raise_on_error
    )


def materialize_all_for_days(
    defs: dg.Definitions, instance: dg.DagsterInstance, first: date, last: date, *, daily: bool = True
) -> list[dg.ExecuteInProcessResult]:
    """Every materializable asset for the days [first, last]: daily, then weekly, monthly, unpartitioned.

    `daily=False` leaves the daily assets out (they already ran for those days): only the rollups follow.
    """
    graph = defs.resolve_asset_graph()
    by_partitioning: dict[object, list[dg.AssetKey]] = {}
    for key in graph.materializable_asset_keys:
        by_partitioning.setdefault(graph.get(key).partitions_def, []).append(key)
    results = []
    for partitions_def in (daily_partitions, weekly_partitions, monthly_partitions):
        keys = by_partitioning.pop(partitions_def, [])
        if keys and (daily or partitions_def is not daily_partitions):
            results.append(materialize_range(defs, instance, keys, *covering_keys(partitions_def, first, last)))
    unpartitioned = by_partitioning.pop(None, [])
    if by_partitioning:
        raise ValueError(f"assets with an unexpected partitioning: {by_partitioning}")
    if unpartitioned:
        job = defs.resolve_implicit_global_asset_job_def()
        results.append(job.execute_in_process(instance=instance, asset_selection=unpartitioned))
    return results
