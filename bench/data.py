"""Benchmark data: a day of shop exports made by the generator, projects to load, buckets of landed files."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from assets.partitions import FIRST_BUSINESS_DAY
from contracts.shop import ORDER_ITEMS, SHOP_TABLES, export_file_key, export_partition_prefix
from generator.faults import FaultConfig, apply_line_faults
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import DBT_EXECUTABLE, REPO_ROOT
from resources.storage.local import LocalObjectStore

BENCH_DAY = date(2026, 11, 3)
ITEMS_PER_ORDER = 2.4  # measured on the generator's output: ~938k lines from 391k orders


@dataclass(frozen=True)
class DayExport:
    lake: Path
    day: date
    order_item_files: tuple[Path, ...]

    @property
    def lines(self) -> int:
        return sum(_gzip_lines(p) for p in self.order_item_files)

    @property
    def compressed_mb(self) -> float:
        return sum(p.stat().st_size for p in self.order_item_files) / 1e6


def bench_home(lake: Path | None = None) -> Path:
    """An empty cumulus home (warehouse, Dagster instance folder) in a temp dir, over a shared lake."""
    home = Path(tempfile.mkdtemp(prefix="cumulus-bench-"))
    if lake is not None:
        (home / "lake").symlink_to(lake.resolve())
    (home / "dagster").mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    return home


def environment_with_repository() -> dict[str, str]:
    """This process's environment with the repository importable, for the CLIs and interpreters a figure
    starts (make exports PYTHONPATH; a bare `pytest` or `python -m bench` does not)."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def _gzip_lines(path: Path) -> int:
    from assets.loading import count_lines

    return count_lines(path)


def day_export(root: Path, order_lines: int, seed: int = 7) -> DayExport:
    """Generate (once; reused by later runs) the exports of one day with about `order_lines` item lines."""
    lake = root / f"lines-{order_lines}-seed-{seed}" / "lake"
    marker = lake.parent / "complete"
    if not marker.exists():
        store = LocalObjectStore(root=str(lake))
        # No malformed lines: the baselines (bare read_json, pandas) cannot read a file that has one, and
        # the comparison must be on identical input. Duplicates stay (1%), so de-duplication is measured.
        config = ShopConfig(
            seed=seed,
            orders_per_day=order_lines / ITEMS_PER_ORDER,
            world_start=BENCH_DAY,
            faults=FaultConfig(malformed_rate=0.0),
        )
        generate_shop_exports(store, BENCH_DAY, 1, config)
        marker.write_text("ok\n")
    prefix = lake / export_partition_prefix("order_items", BENCH_DAY.isoformat())
    return DayExport(lake, BENCH_DAY, tuple(sorted(prefix.glob("*.jsonl.gz"))))


def with_malformed_lines(export: DayExport, seed: int = 7) -> DayExport:
    """The same day with the generator's usual share of malformed lines (0.2%), in a lake of its own.

    The baselines cannot read such files, so this variant measures only what quarantining costs cumulus.
    """
    lake = export.lake.parent / "malformed" / "lake"
    files = tuple(lake / p.relative_to(export.lake) for p in export.order_item_files)
    marker = lake.parent / "complete"
    if not marker.exists():
        rng = np.random.default_rng(seed)
        for source, target in zip(export.order_item_files, files, strict=True):
            with gzip.open(source, "rt") as handle:
                lines = handle.read().splitlines()
            faulted = apply_line_faults(lines, ORDER_ITEMS, rng, FaultConfig().malformed_rate, duplicate_rate=0.0)
            target.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(target, "wt", compresslevel=6) as handle:
                handle.write("\n".join(faulted.lines) + "\n")
        marker.write_text("ok\n")
    return replace(export, lake=lake, order_item_files=files)


def history(root: Path, start: date, days: int, orders_per_day: float, seed: int = 7) -> Path:
    """The lake of `days` days of all shop exports (usual faults included), generated once and reused."""
    lake = root / f"history-{start}-{days}d-{orders_per_day:g}-seed-{seed}" / "lake"
    marker = lake.parent / "complete"
    if not marker.exists():
        config = ShopConfig(seed=seed, orders_per_day=orders_per_day, world_start=start)
        generate_shop_exports(LocalObjectStore(root=str(lake)), start, days, config)
        marker.write_text("ok\n")
    return lake


# ----------------------------------------------------------------------------- figure 3: projects to load

FLOOR_DEFINITIONS = '''"""The floor of a code location's load time: Dagster and one asset, nothing else."""

import dagster as dg


@dg.asset
def one_asset() -> int:
    return 1


defs = dg.Definitions(assets=[one_asset])
'''


def floor_project(root: Path) -> Path:
    """A one-asset Dagster project; returns its definitions file."""
    path = root / "floor-project" / "definitions.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FLOOR_DEFINITIONS)
    return path


SYNTHETIC_DBT_PROJECT = """name: synthetic
version: "1.0.0"
config-version: 2
profile: synthetic
model-paths: ["models"]
flags:
  send_anonymous_usage_stats: false
models:
  synthetic:
    +materialized: view
    +tags: [daily]
"""

SYNTHETIC_DBT_PROFILE = """synthetic:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: ":memory:"
      schema: main
"""

SYNTHETIC_DBT_SOURCE = """version: 2
sources:
  - name: raw
    tables:
      - name: events
"""

# A definitions file inside the synthetic project, so `dagster definitions validate -f` can load it too.
SYNTHETIC_DEFINITIONS = """from pathlib import Path

from bench.location_load import synthetic_definitions

defs = synthetic_definitions(Path(__file__).parent)
"""


def synthetic_dbt_project(root: Path, models: int) -> Path:
    """(Once; reused by later runs) a dbt project of `models` trivial models and its parsed manifest.

    Model 0 reads one source; model i reads model (i - 1) // 2: a fan-out tree, so the lineage has as
    many edges as models and a depth of log2(models), like a warehouse's staging -> marts layers.
    """
    project = (root / f"dbt-{models}-models").resolve()
    marker = project / "complete"
    if not marker.exists():
        (project / "models").mkdir(parents=True, exist_ok=True)
        (project / "dbt_project.yml").write_text(SYNTHETIC_DBT_PROJECT)
        (project / "profiles.yml").write_text(SYNTHETIC_DBT_PROFILE)
        (project / "models" / "sources.yml").write_text(SYNTHETIC_DBT_SOURCE)
        (project / "definitions.py").write_text(SYNTHETIC_DEFINITIONS)
        for i in range(models):
            upstream = "source('raw', 'events')" if i == 0 else f"ref('m_{(i - 1) // 2:05d}')"
            (project / "models" / f"m_{i:05d}.sql").write_text(f"select * from {{{{ {upstream} }}}}\n")
        args = [str(DBT_EXECUTABLE), "parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
        subprocess.run(args, check=True, cwd=project)
        marker.write_text("ok\n")
    return project


# ------------------------------------------------------------------------------- figure 4: a landed bucket

LANDING_EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
LANDING_SPACING = timedelta(seconds=10)  # one export file every 10 s: 100,000 files land over 11.6 days
LANDING_DAYS = 250  # export days the keys spread over (2026-01-01 on), so every key routes to a partition


def landed_objects(count: int) -> list[tuple[str, datetime]]:
    """`count` export-file keys of the shop tables with the times they landed, oldest first."""
    tables = [c.name for c in SHOP_TABLES]
    first_day = date.fromisoformat(FIRST_BUSINESS_DAY)
    objects = []
    for i in range(count):
        day = first_day + timedelta(days=(i // len(tables)) % LANDING_DAYS)
        part = i // (len(tables) * LANDING_DAYS)
        key = export_file_key(tables[i % len(tables)], day.isoformat(), part)
        objects.append((key, LANDING_EPOCH + i * LANDING_SPACING))
    return objects


def landed_content(key: str) -> bytes:
    """A small distinct body per object, so each has its own etag."""
    return f"{key}\n".encode()


def local_bucket(root: Path, count: int) -> Path:
    """(Once; reused by later runs) a local bucket holding `landed_objects(count)`; returns its root."""
    lake = root / f"bucket-{count}" / "lake"
    marker = lake.parent / "complete"
    if not marker.exists():
        for key, landed in landed_objects(count):
            path = lake / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(landed_content(key))
            stamp = int(landed.timestamp() * 1e9)
            os.utime(path, ns=(stamp, stamp))
        marker.write_text("ok\n")
    return lake
