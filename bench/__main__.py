"""`python -m bench`: generate data at scale, measure, write docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path

from bench import raw_load
from bench.data import day_export
from bench.report import raw_load_rows, write
from resources.settings import REPO_ROOT


def main(argv: list[str] | None = None) -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1000000,5000000,20000000", help="order lines per day, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO_ROOT / ".cumulus" / "bench")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",")]

    results, lines, mb = {}, {}, {}
    for scale in scales:
        export = day_export(args.data, scale)
        lines[scale], mb[scale] = export.lines, export.compressed_mb
        print(f"raw load, {lines[scale]:,} order lines ({mb[scale]:.0f} MB gzipped)...", flush=True)
        results[scale] = raw_load.measure(export, args.repeats)
    section = [
        "## 1. Raw load: one day of order lines, gzipped JSON lines -> warehouse table",
        "",
        "cumulus = the `snowflake/raw/order_items` asset run in-process (validation, quarantine, de-duplication,",
        "independent line recount, metadata, checks and Dagster's run overhead included). Engine limit = a bare",
        "DuckDB `read_json` into a table. pandas = `read_json` + insert into DuckDB, what a user would write.",
        "Goals: at least 0.7x the engine limit and at least 5x faster than pandas.",
        "",
        *raw_load_rows(results, lines, mb),
    ]
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    write(args.out, command, args.repeats, section)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
