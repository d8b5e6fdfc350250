"""`make demo`: generate shop exports, load and model them for those days, print the KPIs.

Runs in-process against the Dagster instance in $DAGSTER_HOME, so `make dev` afterwards shows these
runs, the landed files and the materialized partitions in the UI. Ends with cli/backfill.py's one-line
summary, and exit code 1 when a partition failed or was not built.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from assets.kpi.sources import shop_exports_sensor
from cli.runs import RangeRefused, backfill_days, plan_days, run_logs_to
from definitions import build_definitions
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import load_settings
from resources.superset.bundle import load_bundle


def record_landed_files(defs: dg.Definitions, instance: dg.DagsterInstance) -> int:
    """Evaluate the landing sensor once, as the daemon would, and record the file versions it saw."""
    resources = {"s3": defs.resources["s3"]}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = shop_exports_sensor(context)
    events = getattr(result, "asset_events", [])
    for event in events:
        instance.report_runless_asset_event(event)
    return len(events)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--orders-per-day", type=float, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    last = args.start + timedelta(days=args.days - 1)

    settings = load_settings()
    defs = build_definitions(settings)
    try:
        plan_days(defs, args.start, last)
    except RangeRefused as refused:
        print(f"demo refused: {refused}", file=sys.stderr)
        return 2
    report = generate_shop_exports(
        defs.resources["s3"], args.start, args.days, ShopConfig(seed=args.seed, orders_per_day=args.orders_per_day)
    )
    print(f"generated {len(report.files)} export files for {args.start}..{last} in {report.seconds:.1f}s")
    log_path = settings.home / "demo.log"
    print(f"running the KPI pipeline for {args.start}..{last} (run logs: {log_path})")
    with dg.DagsterInstance.get() as instance, run_logs_to(log_path):
        landed = record_landed_files(defs, instance)
        outcome = backfill_days(defs, instance, args.start, last)
    print(f"recorded {landed} landed file versions as materializations of the s3/shop/* assets")
    for result in outcome.results:
        events = result.get_asset_materialization_events()
        checks = result.get_asset_check_evaluations()
        failed = [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
        warned = [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.WARN]
        print(f"run {result.run_id[:8]}: {len(events)} partition materializations, {len(checks)} checks")
        for label, names in (("FAILED", failed), ("warnings", warned)):
            if names:
                print(f"  {label}: {', '.join(names)}")

    warehouse = defs.resources["snowflake"]
    kpis = warehouse.query(
        "SELECT order_date, gmv, net_revenue, orders, buyers, new_buyers, round(aov) AS aov, items_sold, "
        "round(cancel_rate, 4) AS cancel_rate FROM kpi.kpi_daily_sales "
        "WHERE order_date BETWEEN ? AND ? ORDER BY order_date DESC LIMIT 7",
        [args.start, last],
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print("\nkpi.kpi_daily_sales, last 7 days:")
        print(kpis.to_string(index=False))
    print(f"\nwarehouse: {settings.warehouse_path}")
    print(f"dashboard: {settings.reports_dir / 'kpi_report.html'}")
    if settings.superset is not None:
        print(f"Superset dashboard: {settings.superset.url}/superset/dashboard/{load_bundle().dashboard_slug}/")
    print(outcome.summary())
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
