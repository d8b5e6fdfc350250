"""What runs left behind, read from Dagster's records: which partitions each selected asset materialized,
which assets' steps failed, with the error and the files it names; and a backfill's one-line summary.

Read from the instance, not from how a step reports itself: a raw-table step that loads the good days of
its range, records them as materialized and then fails naming the bad ones gives the same answer as a step
that fails before recording anything (then none of its partitions count as materialized).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date

import dagster as dg

# A file or object key as loaders name them: `shop/customers/dt=2026-11-05/part-0001.jsonl.gz`, a local path.
_FILE = re.compile(r"/?(?:[\w.@%+=:-]+/)*[\w.@%+=-]+\.(?:jsonl|ndjson|json|csv|tsv|parquet|avro)(?:\.gz|\.zst|\.bz2)?")
_FETCH_PAGE = 1000


@dataclass(frozen=True)
class StepError:
    """A failed step's error: its innermost message's first line, and every file the error chain names."""

    message: str
    files: tuple[str, ...]

    @classmethod
    def from_error(cls, error) -> StepError:  # a dagster SerializableErrorInfo
        messages = []
        while error is not None:
            messages.append(error.message.strip())
            error = error.cause
        found = dict.fromkeys(m.group(0) for text in messages for m in _FILE.finditer(text))
        # A loader may name the object key and its local copy: keep the key.
        files = [f for f in found if not any(f != other and f.endswith("/" + other) for other in found)]
        innermost = next((m for m in reversed(messages) if m), "")
        return cls(innermost.splitlines()[0] if innermost else "step failed", tuple(files))


@dataclass(frozen=True)
class RunOutcome:
    materialized: dict[dg.AssetKey, set[str | None]]
    """Partitions (None: unpartitioned) each selected asset materialized during the run."""
    failed: dict[dg.AssetKey, StepError]
    """Selected assets whose step failed, or succeeded without materializing a planned partition."""
    run_failure: str | None
    """The run's failure message when it failed; None when it succeeded."""


def materialized_since(
    instance: dg.DagsterInstance,
    asset_keys: Iterable[dg.AssetKey],
    partition_keys: Sequence[str | None],
    timestamp: float,
) -> dict[dg.AssetKey, set[str | None]]:
    """Partitions of each asset with a materialization recorded after `timestamp` (in a run or not)."""
    partitions = [k for k in partition_keys if k is not None] or None
    found: dict[dg.AssetKey, set[str | None]] = {}
    for key in asset_keys:
        records_filter = dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions, after_timestamp=timestamp)
        cursor = None
        while True:
            page = instance.fetch_materializations(records_filter, limit=_FETCH_PAGE, cursor=cursor)
            found.setdefault(key, set()).update(r.partition_key for r in page.records)
            if not page.has_more:
                break
            cursor = page.cursor
    return found


def read_run_outcome(
    instance: dg.DagsterInstance,
    result: dg.ExecuteInProcessResult,
    selection: Sequence[dg.AssetKey],
    partition_keys: Sequence[str | None],
    started: float,
) -> RunOutcome:
    """The outcome of `result`, a run of `selection` over `partition_keys` launched at `started`."""
    materialized = materialized_since(instance, selection, partition_keys, started)
    planned = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    step_of = {e.dagster_event.asset_key: e.dagster_event.step_key for e in planned if e.dagster_event}
    failures = result.get_step_failure_events()
    failed_steps = {e.step_key: StepError.from_error(e.step_failure_data.error) for e in failures}
    succeeded_steps = {e.step_key for e in result.get_step_success_events()}
    failed = {}
    for key in selection:
        missing = set(partition_keys) - materialized.get(key, set())
        step = step_of.get(key)
        if step in failed_steps:
            failed[key] = failed_steps[step]
        elif missing and step in succeeded_steps:
            failed[key] = StepError(f"step {step} succeeded without materializing these partitions", ())
    run_failure = None
    if not result.success:
        failures = [e.message or "" for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE]
        run_failure = failures[-1] if failures else "the run failed"
    return RunOutcome(materialized, failed, run_failure)


@dataclass(frozen=True)
class PartitionFailure:
    asset_key: dg.AssetKey
    partitions: str
    """The failed partition keys, consecutive ones as `first..last`."""
    error: StepError


@dataclass
class BackfillOutcome:
    """Every run of a backfill, what failed, and what was not built because its inputs failed."""

    first: date
    last: date
    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    failures: list[PartitionFailure] = field(default_factory=list)
    not_built: dict[dg.AssetKey, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return not self.failures and not self.not_built

    def summary(self) -> str:
        """One line: what failed (asset, partitions, files or the error) and what it kept from being built."""
        span = f"{self.first}..{self.last}"
        if self.succeeded:
            return f"backfill {span}: every partition materialized ({len(self.results)} run(s))"
        failed = [
            f"{f.asset_key.to_user_string()} {f.partitions} ({', '.join(f.error.files) or f.error.message})"
            for f in self.failures
        ]
        line = f"backfill {span} FAILED: {'; '.join(failed)}"
        if self.not_built:
            skipped = ", ".join(f"{k.to_user_string()} {p}" for k, p in self.not_built.items())
            line += f"; not built because an input failed: {skipped}"
        return line


def compact_keys(keys: Sequence[str | None], chosen: Set[str | None]) -> str:
    """`chosen` as runs of consecutive `keys`: `2026-11-02..2026-11-04, 2026-11-06`; `-` when unpartitioned."""
    runs, current = [], []
    for key in [*keys, object()]:
        if key in chosen:
            current.append("-" if key is None else str(key))
        elif current:
            runs.append(current[0] if len(current) == 1 else f"{current[0]}..{current[-1]}")
            current = []
    return ", ".join(runs)
