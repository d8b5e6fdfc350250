"""`make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD`: rebuild every asset of the enabled pipelines for a range of
business days.

One single-run backfill per partition group (cli/runs.py: hourly, daily, weekly, monthly, then the
dashboards), recorded in the Dagster instance of $DAGSTER_HOME so the UI shows them; the run logs go to
$CUMULUS_HOME/backfill.log. A failed partition stops only what reads it. Ends with a one-line summary;
exit code 1 when a partition failed or was not built, 2 when the range is refused (nothing ran).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import dagster as dg

from cli.runs import RangeRefused, backfill_days, plan_days, run_logs_to
from definitions import build_definitions
from resources.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    if args.last < args.first:
        print(f"backfill refused: --to {args.last} is before --from {args.first}", file=sys.stderr)
        return 2
    settings = load_settings()
    defs = build_definitions(settings)
    try:
        runs = plan_days(defs, args.first, args.last)
    except RangeRefused as refused:
        print(f"backfill refused: {refused}", file=sys.stderr)
        return 2
    log_path = settings.home / "backfill.log"
    groups = ", ".join(group.label for group, _ in runs)
    print(f"backfilling {args.first}..{args.last}: {groups} (run logs: {log_path})")
    with dg.DagsterInstance.get() as instance, run_logs_to(log_path):
        outcome = backfill_days(defs, instance, args.first, args.last)
    for result in outcome.results:
        print(f"run {result.run_id}: {'success' if result.success else 'FAILED'}")
    print(outcome.summary())
    return 0 if outcome.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
