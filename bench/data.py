"""Benchmark data: one day of shop exports at a given number of order lines, made by the generator."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from contracts.shop import ORDER_ITEMS, export_partition_prefix
from generator.faults import FaultConfig, apply_line_faults
from generator.shop import ShopConfig, generate_shop_exports
from resources.storage import LocalObjectStore

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
