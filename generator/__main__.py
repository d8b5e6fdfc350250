"""Command line: write the shop exports of a date range into a local lake folder.

python -m generator --lake .cumulus/lake --start 2026-11-01 --days 14 --orders-per-day 300 --seed 7
python -m generator --lake .cumulus/lake --days 7     # the next 7 days of the world the lake holds

A lake the generator (or `make demo`) wrote to records its world (generator/world_record.py): without
--new-world, the command continues that world, from the day after its last generated day unless --start
says otherwise, so the new days' customers and products are the same people and items under the same ids.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, timedelta

from generator.faults import FaultConfig
from generator.shop import GenerationReport, ShopConfig, generate_shop_exports
from generator.world_record import WORLD_RECORD_KEY, WorldRecord, read_world_record
from resources.storage.local import LocalObjectStore

DEFAULT_SEED = 7
DEFAULT_ORDERS_PER_DAY = 300.0


class WorldConflict(ValueError):
    """The arguments describe another world than the one the lake holds."""


def _late_day(value: str) -> date | str | None:
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    return date.fromisoformat(value)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", required=True, help="local folder standing in for the bucket")
    parser.add_argument(
        "--start", type=date.fromisoformat, help="first day, YYYY-MM-DD; default: the day after the lake's last one"
    )
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument(
        "--orders-per-day", type=float, help=f"default: the lake's world's, else {DEFAULT_ORDERS_PER_DAY:g}"
    )
    parser.add_argument("--seed", type=int, help=f"default: the lake's world's, else {DEFAULT_SEED}")
    parser.add_argument("--world-start", type=date.fromisoformat, help="default: the lake's world's, else --start")
    parser.add_argument("--new-world", action="store_true", help="start a new world even if the lake holds one")
    parser.add_argument("--malformed-rate", type=float, default=FaultConfig.malformed_rate)
    parser.add_argument("--duplicate-rate", type=float, default=FaultConfig.duplicate_rate)
    parser.add_argument(
        "--late-day", type=_late_day, default="auto", help="YYYY-MM-DD, 'auto' (the world's second day) or 'none'"
    )
    parser.add_argument("--max-lines-per-file", type=int, default=ShopConfig.max_lines_per_file)
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Plan:
    start: date
    config: ShopConfig
    continued: WorldRecord | None


def plan(args: argparse.Namespace, lake_world: WorldRecord | None) -> Plan:
    """What to generate: a new world, or the next days of the lake's world (refusing arguments that differ)."""
    faults = {"malformed_rate": args.malformed_rate, "duplicate_rate": args.duplicate_rate}
    if lake_world is None or args.new_world:
        if args.start is None:
            raise WorldConflict("--start is required to start a world (this lake records none)")
        config = ShopConfig(
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            orders_per_day=args.orders_per_day or DEFAULT_ORDERS_PER_DAY,
            world_start=args.world_start,
            max_lines_per_file=args.max_lines_per_file,
            faults=FaultConfig(**faults, late_day=args.late_day),
        )
        return Plan(args.start, config, None)
    given = {"seed": args.seed, "orders-per-day": args.orders_per_day, "world-start": args.world_start}
    recorded = {
        "seed": lake_world.seed,
        "orders-per-day": lake_world.orders_per_day,
        "world-start": lake_world.world_start,
    }
    differing = [f"--{name} {value}" for name, value in given.items() if value is not None and value != recorded[name]]
    if differing:
        raise WorldConflict(
            f"{args.lake} holds the world of {lake_world.describe()} ({WORLD_RECORD_KEY}); {', '.join(differing)} "
            "would start another one under the same ids: leave them out to continue it, or pass --new-world"
        )
    # 'auto' is the world's second day, as one longer generation from the world's start has it.
    late_day = lake_world.world_start + timedelta(days=1) if args.late_day == "auto" else args.late_day
    config = ShopConfig(
        seed=lake_world.seed,
        orders_per_day=lake_world.orders_per_day,
        world_start=lake_world.world_start,
        initial_customers=lake_world.initial_customers,
        initial_products=lake_world.initial_products,
        max_lines_per_file=args.max_lines_per_file,
        faults=FaultConfig(**faults, late_day=late_day),
    )
    return Plan(args.start or lake_world.generated_through + timedelta(days=1), config, lake_world)


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
    store = LocalObjectStore(root=args.lake)
    try:
        chosen = plan(args, read_world_record(store))
    except WorldConflict as conflict:
        print(f"generator refused: {conflict}", file=sys.stderr)
        return 2
    if chosen.continued is not None:
        print(f"continuing the lake's world ({chosen.continued.describe()})")
    report = generate_shop_exports(store, chosen.start, args.days, chosen.config)
    print(summary(report, args.lake))
    return 0


if __name__ == "__main__":
    sys.exit(main())
