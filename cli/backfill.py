"""`make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD`: rebuild every KPI asset for a range of business days.

One run per partitioning (daily, weekly, monthly, then the dashboard), each a single-run backfill over
the whole range, recorded in the Dagster instance of $DAGSTER_HOME so the UI shows them. Same tables as
one run per day (tested), at a fraction of the per-run overhead.
"""

from __future__ import annotations

import argparse
from datetime import date

import dagster as dg

from cli.runs import materialize_all_for_days
from definitions import build_definitions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    if args.last < args.first:
        parser.error(f"--to {args.last} is before --from {args.first}")
    defs = build_definitions()
    with dg.DagsterInstance.get() as instance:
        for result in materialize_all_for_days(defs, instance, args.first, args.last):
            print(f"run {result.run_id}: {'success' if result.success else 'FAILED'}")


if __name__ == "__main__":
    main()
