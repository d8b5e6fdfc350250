"""Command line: write the shop exports of a date range into a local lake folder.

python -m generator --lake .cumulus/lake --start 2026-11-01 --days 14 --orders-per-day 300 --seed 7
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from generator.faults import FaultConfig
from generator.shop import GenerationReport, ShopConfig, generate_shop_exports
from resources.storage.local import LocalObjectStore


def _late_day(value: str) -> date | str | None:
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    return date.fromisoformat(value)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="local folder standing in for the bucket")
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--orders-per-day", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--world-start", type=date.fromisoformat, help="default: --start")
    parser.add_argument("--malformed-rate", type=float, default=FaultConfig.malformed_rate)
    parser.add_argument("--duplicate-rate", type=float, default=FaultConfig.duplicate_rate)
    parser.add_argument("--late-day", type=_late_day, default="auto", help="YYYY-MM-DD, 'auto' (second day) or 'none'")
    parser.add_argument("--max-lines-per-file", type=int, default=ShopConfig.max_lines_per_file)
    return parser.parse_args(argv)


def summary(report: GenerationReport, lake: str) -> str:
    lines = [
        f"wrote {len(report.files)} files for {report.days} day(s) from {report.start} into {lake} "
        f"in {report.seconds:.1f} s (world starts {report.world_start})"
    ]
    for table in ("orders", "order_items", "customers", "products"):
        t = report.totals(table)
        lines.append(
            f"  {table:<12} {t['lines']:>10,} lines  {t['valid_records']:>10,} valid  "
            f"{t['malformed_lines']:>7,} malformed  {t['duplicate_lines']:>7,} duplicate"
        )
    for f in report.files:
        if f.late:
            lines.append(f"  late part: {f.key} ({f.lines:,} lines, delivered after {report.late_day} + lag)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = ShopConfig(
        seed=args.seed,
        orders_per_day=args.orders_per_day,
        world_start=args.world_start,
        max_lines_per_file=args.max_lines_per_file,
        faults=FaultConfig(
            malformed_rate=args.malformed_rate, duplicate_rate=args.duplicate_rate, late_day=args.late_day
        ),
    )
    report = generate_shop_exports(LocalObjectStore(root=args.lake), args.start, args.days, config)
    print(summary(report, args.lake))
    return 0


if __name__ == "__main__":
    sys.exit(main())
