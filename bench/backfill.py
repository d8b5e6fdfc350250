"""Figure 2: the daily assets of the KPI graph over 30 and 90 days of history.

- single-run backfill: one `dagster asset materialize --partition-range FIRST...LAST`, what the UI
  launches for assets with a single-run backfill policy (one process, the code loaded once);
- one run per day: `dagster asset materialize --partition DAY`, as the daemon launches them. Measured
  on days spread over the range, each in a fresh warehouse, and multiplied out: the full series would
  take about 25 s x 90 here. A fresh warehouse holds none of the previous days, so dbt's restatement
  window has less to do than in a real series: this underestimates per-day cost, never overstates it;
- bare work: the same loads through the loader without Dagster, then one `dbt build` of the same
  models over the range. Orchestration overhead = 1 - bare / single-run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench.data import bench_home, environment_with_repository
from bench.measure import Figure, Spec, interleaved
from resources.dbt import KPI_DBT
from resources.settings import DBT_EXECUTABLE, REPO_ROOT

HISTORY_START = date(2026, 6, 1)
DAILY_TAG = "daily"


@dataclass(frozen=True)
class History:
    lake: Path
    first: date
    days: int

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    def sample_days(self, count: int) -> list[date]:
        """`count` days spread evenly over the range, the last day included."""
        count = max(1, min(count, self.days))
        step = self.days / count
        return [self.first + timedelta(days=int(self.days - 1 - i * step)) for i in range(count)][::-1]


def daily_selection() -> str:
    """The Dagster selection of every daily-partitioned asset (raw tables and daily dbt models)."""
    from assets.partitions import daily_partitions
    from definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    keys = sorted(
        k.to_user_string() for k in graph.materializable_asset_keys if graph.get(k).partitions_def == daily_partitions
    )
    return " or ".join(f"key:{key}" for key in keys)


def _materialize(home: Path, selection: str, partition_args: list[str]) -> None:
    env = {**environment_with_repository(), "CUMULUS_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    command = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-f", "definitions.py"]
    done = subprocess.run(
        [*command, "--select", selection, *partition_args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if done.returncode != 0:
        failures = [line for line in done.stdout.splitlines() if "FAILURE" in line or "Error" in line]
        raise RuntimeError(f"dagster asset materialize {partition_args} failed:\n" + "\n".join(failures[-10:]))
    shutil.rmtree(home, ignore_errors=True)


def single_run(history: History, selection: str) -> None:
    _materialize(bench_home(history.lake), selection, ["--partition-range", f"{history.first}...{history.last}"])


def one_day(history: History, day: date, selection: str) -> None:
    _materialize(bench_home(history.lake), selection, ["--partition", day.isoformat()])


def bare_work(history: History) -> None:
    """The loads through the loader, then one dbt build over the range: no Dagster anywhere."""
    from assets.kpi.sources import raw_sources
    from assets.loading import load_partition
    from contracts.shop import SHOP_TABLES
    from resources.settings import Settings
    from resources.storage.local import LocalObjectStore
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    home = bench_home(history.lake)
    settings = Settings(env="local", home=home)
    store, warehouse = (
        LocalObjectStore(root=str(settings.lake_root)),
        DuckDBWarehouse(path=str(settings.warehouse_path)),
    )
    for contract in SHOP_TABLES:
        with warehouse.session():  # as the raw-table asset loads a range
            for offset in range(history.days):
                day = (history.first + timedelta(days=offset)).isoformat()
                load_partition(store, warehouse, raw_sources[contract.name], day)
    window = json.dumps({"min_date": history.first.isoformat(), "max_date": history.last.isoformat()})
    dbt = str(DBT_EXECUTABLE)
    done = subprocess.run(
        [
            dbt,
            "build",
            "--select",
            f"tag:{DAILY_TAG}",
            "--vars",
            window,
            "--target",
            "duckdb",
            "--project-dir",
            str(KPI_DBT.project_dir),
            "--profiles-dir",
            str(KPI_DBT.project_dir),
            "--target-path",
            str(home / "dbt-target"),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.subprocess_environment()},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{done.stdout[-3000:]}")
    shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class BackfillFigures:
    history: History
    single_run: Figure
    per_day: tuple[Figure, ...]
    bare: Figure

    @property
    def per_day_median_seconds(self) -> float:
        return sorted(f.seconds for f in self.per_day)[len(self.per_day) // 2]

    @property
    def per_day_total_seconds(self) -> float:
        """One run per day over the whole range, from the median sampled day."""
        return self.per_day_median_seconds * self.history.days

    @property
    def overhead_share(self) -> float:
        return max(0.0, 1 - self.bare.seconds / self.single_run.seconds)


def measure(history: History, repeats: int, sampled_days: int) -> BackfillFigures:
    selection = daily_selection()
    days = history.sample_days(sampled_days)
    specs = {
        "single": Spec(f"single-run backfill, {history.days} days", single_run, (history, selection)),
        "bare": Spec(f"bare loads + dbt build, {history.days} days", bare_work, (history,)),
    }
    # Each sampled day is a run of its own; their spread stands in for the series, so one sample each.
    per_day = interleaved({d.isoformat(): Spec(f"run for {d}", one_day, (history, d, selection)) for d in days}, 1)
    figures = interleaved(specs, repeats)
    return BackfillFigures(history, figures["single"], tuple(per_day.values()), figures["bare"])
