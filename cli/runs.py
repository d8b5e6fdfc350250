"""Run a pipeline's assets for a range of business days in-process, the way a single-run backfill does.

One run per partition group (cli/partition_groups.py: hourly, daily, weekly, ..., unpartitioned last),
upstream groups first. A failed step does not stop the others; after a group's run, the assets Dagster
skipped because an upstream step failed are rebuilt for the partitions whose inputs are complete, in
contiguous sub-ranges, oldest first. A partition whose inputs include a failed partition (a daily model
of a failed day, the week or month holding it) is not built: its last good state stays, and the summary
names it; re-running the range once the input is repaired builds it. Unpartitioned assets (the
dashboards) are built from whatever loaded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from cli.partition_groups import PartitionGroup, RangeRefused, describe, keys_for_days, partition_groups
from cli.run_outcome import BackfillOutcome, PartitionFailure, StepError, compact_keys, read_run_outcome

__all__ = [
    "RANGE_END_TAG",
    "RANGE_START_TAG",
    "BackfillOutcome",
    "RangeRefused",
    "backfill_days",
    "covering_keys",
    "materialize_all_for_days",
    "materialize_range",
    "plan_days",
    "run_logs_to",
]

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
Partition = str | None  # None: the one "partition" of an unpartitioned asset


@contextmanager
def run_logs_to(path: Path) -> Iterator[None]:
    """Dagster's and dbt's run output into `path` instead of the console (it names every failed step in
    full, with its stack trace): the commands print one line per run and a summary instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as log, redirect_stdout(log), redirect_stderr(log):
        yield


def covering_keys(partitions_def: dg.TimeWindowPartitionsDefinition, first: date, last: date) -> tuple[str, str]:
    """The first and last partition keys whose windows overlap the business days [first, last]."""
    keys = keys_for_days(partitions_def, first, last)
    return keys[0], keys[-1]


def materialize_range(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    keys: Sequence[dg.AssetKey],
    first_key: str | None,
    last_key: str | None,
    raise_on_error: bool = True,
    hooks: Set[dg.HookDefinition] = frozenset(),
) -> dg.ExecuteInProcessResult:
    """One run over a partition range (None, None: unpartitioned assets): what a single-run backfill launches.

    `hooks` run after each step (success or failure hooks), e.g. to alert, or in tests to interrupt a run.
    """
    job = defs.resolve_implicit_global_asset_job_def()
    if hooks:
        job = job.with_hooks(set(hooks))
    tags = {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key} if first_key is not None else None
    return job.execute_in_process(
        instance=instance, asset_selection=list(keys), tags=tags, raise_on_error=raise_on_error
    )


@dataclass
class _GroupState:
    keys: list[Partition]
    assets: tuple[dg.AssetKey, ...]
    done: dict[dg.AssetKey, set[Partition]]
    failed: dict[dg.AssetKey, set[Partition]]
    errors: dict[dg.AssetKey, StepError]


class _Backfill:
    """The runs of one backfill, and the partitions that failed or could not be built so far (`bad`)."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, outcome: BackfillOutcome) -> None:
        self.defs, self.instance, self.outcome = defs, instance, outcome
        self.graph = defs.resolve_asset_graph()
        self.bad: dict[dg.AssetKey, set[Partition]] = {}

    def _children_keys(self, parent: dg.AssetKey, child: dg.AssetKey, parent_keys: Set[Partition]) -> set[Partition]:
        if self.graph.get(child).partitions_def is None:
            return {None}
        if None in parent_keys:  # an unpartitioned parent feeds every partition
            return set(self.graph.get(child).partitions_def.get_partition_keys())
        return {k for p in parent_keys for k in self.graph.get_child_partition_keys_of_parent(p, parent, child)}

    def _blocked(self, group: PartitionGroup, state: _GroupState) -> dict[dg.AssetKey, set[Partition]]:
        """Per asset, the partitions of this run whose inputs failed or could not be built."""
        blocked: dict[dg.AssetKey, set[Partition]] = {}
        keys = set(state.keys)
        for asset in state.assets:
            found: set[Partition] = set()
            for parent in self.graph.get(asset).parent_keys:
                bad = state.failed.get(parent, set()) | blocked.get(parent, set())
                if group.partitions_def is not None:  # unpartitioned assets are built from what loaded
                    bad |= self.bad.get(parent, set())
                if bad:
                    found |= self._children_keys(parent, asset, bad) & keys
            if found:
                blocked[asset] = found
        return blocked

    def _run(self, state: _GroupState, selection: list[dg.AssetKey], keys: list[Partition]) -> None:
        started = time.time()
        result = materialize_range(self.defs, self.instance, selection, keys[0], keys[-1], raise_on_error=False)
        self.outcome.results.append(result)
        outcome = read_run_outcome(self.instance, result, selection, keys, started)
        progress = False
        for asset in selection:
            made = outcome.materialized.get(asset, set()) & set(keys)
            progress |= bool(made - state.done[asset])
            state.done[asset] |= made
            if asset in outcome.failed:
                state.failed.setdefault(asset, set()).update(set(keys) - made)
                state.errors[asset] = outcome.failed[asset]
                progress = True
        if not progress:  # nothing changed: record the run's failure rather than run it again
            error = StepError(outcome.run_failure or "the run materialized nothing", ())
            for asset in selection:
                state.failed.setdefault(asset, set()).update(set(keys) - state.done[asset])
                state.errors.setdefault(asset, error)

    def run_group(self, group: PartitionGroup, keys: list[Partition]) -> None:
        """Runs until every partition of the group is materialized, failed, or blocked by a failed input."""
        state = _GroupState(keys, group.asset_keys, {a: set() for a in group.asset_keys}, {}, {})
        while True:
            blocked = self._blocked(group, state)
            runnable = {
                a: set(keys) - state.done[a] - state.failed.get(a, set()) - blocked.get(a, set()) for a in state.assets
            }
            segment = _first_segment(keys, runnable)
            if segment is None:
                break
            selection, segment_keys = segment
            self._run(state, selection, segment_keys)
        for asset in state.assets:
            if state.failed.get(asset):
                self.outcome.failures.append(
                    PartitionFailure(asset, compact_keys(keys, state.failed[asset]), state.errors[asset])
                )
            if blocked.get(asset):
                self.outcome.not_built[asset] = compact_keys(keys, blocked[asset])
            missing = state.failed.get(asset, set()) | blocked.get(asset, set())
            if missing:
                self.bad[asset] = missing


def _first_segment(
    keys: list[Partition], runnable: dict[dg.AssetKey, set[Partition]]
) -> tuple[list[dg.AssetKey], list[Partition]] | None:
    """The oldest run of consecutive keys that share the same non-empty set of runnable assets."""
    segment: list[Partition] = []
    selection: list[dg.AssetKey] = []
    for key in keys:
        assets = [a for a, ks in runnable.items() if key in ks]
        if segment and assets != selection:
            break
        if assets:
            segment.append(key)
            selection = assets
    return (selection, segment) if segment else None


def plan_days(
    defs: dg.Definitions, first: date, last: date, *, daily: bool = True
) -> list[tuple[PartitionGroup, list[Partition]]]:
    """Each group to run, upstream first, with the partition keys covering the business days [first, last].

    Refuses (RangeRefused) a range that some group's partitions do not cover. `daily=False` leaves the
    daily groups out (they already ran for those days).
    """
    groups = partition_groups(defs.resolve_asset_graph())
    return [(g, g.keys_for_days(first, last)) for g in groups if daily or describe(g.partitions_def) != "daily"]


def backfill_days(
    defs: dg.Definitions, instance: dg.DagsterInstance, first: date, last: date, *, daily: bool = True
) -> BackfillOutcome:
    """Every materializable asset for the business days [first, last], one group after the other (`plan_days`;
    a refused range raises RangeRefused before anything runs)."""
    planned = plan_days(defs, first, last, daily=daily)
    backfill = _Backfill(defs, instance, BackfillOutcome(first, last))
    for group, keys in planned:
        backfill.run_group(group, keys)
    return backfill.outcome


def materialize_all_for_days(
    defs: dg.Definitions, instance: dg.DagsterInstance, first: date, last: date, *, daily: bool = True
) -> list[dg.ExecuteInProcessResult]:
    """The runs of `backfill_days`: a failed step shows as a run whose `success` is False."""
    return backfill_days(defs, instance, first, last, daily=daily).results
