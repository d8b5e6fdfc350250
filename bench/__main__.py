"""`python -m bench`: generate data at scale, measure, write docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path

from bench import backfill, file_to_kpi, location_load, raw_load, sensor_tick
from bench.data import day_export, history
from bench.figure_tables import (
    backfill_rows,
    backfill_summary,
    file_to_kpi_rows,
    file_to_kpi_summary,
    growth_reading,
    location_load_rows,
    location_load_summary,
    raw_load_rows,
    raw_load_summary,
    sensor_tick_rows,
    sensor_tick_summary,
)
from bench.report import write
from resources.settings import REPO_ROOT

# A figure's section of the report, and its rows in the results table at the top.
Section = tuple[list[str], list[str]]


def raw_load_section(args: argparse.Namespace) -> Section:
    results, lines, mb = {}, {}, {}
    for scale in _ints(args.scales):
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
    return section, raw_load_summary(results, lines)


def backfill_section(args: argparse.Namespace) -> Section:
    results = []
    for days in _ints(args.days):
        lake = history(args.data, backfill.HISTORY_START, days, args.orders_per_day)
        print(f"backfill, {days} days of {args.orders_per_day:g} orders a day...", flush=True)
        results.append(
            backfill.measure(backfill.History(lake, backfill.HISTORY_START, days), args.repeats, args.sampled_days)
        )
    section = [
        "## 2. Backfill: the daily assets of the KPI graph over a range of days",
        "",
        "Single-run backfill = one `dagster asset materialize --partition-range FIRST...LAST` of every daily",
        "asset (the 4 raw loads, then dbt's daily models and their tests), what the UI launches for these",
        "assets (`BackfillPolicy.single_run()`). One run per day = `--partition DAY`, as the daemon launches them:",
        f"{args.sampled_days} days spread over the range, each measured in a fresh warehouse, the median times the",
        "number of days (a fresh warehouse holds no earlier days, so this underestimates a real series). Bare work",
        "= the same loads through the loader and one `dbt build` of the same models over the range, without",
        "Dagster. Orchestration overhead = the share of the single run's wall time outside that work",
        "(1 - bare / single run). Every run starts from an empty warehouse over the same generated lake.",
        "Goals: single run at least 20x faster than one run per day at 90 days; overhead under 20%.",
        "",
        *backfill_rows(results),
    ]
    return section, backfill_summary(results)


def location_load_section(args: argparse.Namespace) -> Section:
    print("code location load: floor, shipped project, synthetic dbt projects...", flush=True)
    results = location_load.measure(args.data, _ints(args.models), args.repeats)
    section = [
        "## 3. Code location load: building the Definitions, against a one-asset project",
        "",
        "CLI = `dagster definitions validate -f definitions.py` in a subprocess with the environment `make`",
        "exports; import + build = the definitions file imported, built and `Definitions.validate_loadable` in",
        "a new Python interpreter (what a code server does before it answers, without the CLI's own",
        "machinery). Floor = the same on a one-asset Dagster project. Synthetic = dbt",
        "projects of N trivial models (a fan-out tree over one source, parsed by `dbt parse`) made into assets",
        "as the KPI pipeline does (`build_dbt_definitions`, `WarehouseTranslator`). CPU time (the process and its",
        "children) is given beside wall time because it moves far less when other work shares the 2 cores.",
        "Goals: the shipped project at most 1.5x the floor, and no more than linear growth with the models.",
        "",
        *location_load_rows(results),
        "",
        growth_reading(results),
    ]
    return section, location_load_summary(results)


def sensor_tick_section(args: argparse.Namespace) -> Section:
    print("sensor ticks: local folder and S3 emulator...", flush=True)
    results = sensor_tick.measure(args.data, _ints(args.objects), args.repeats)
    section = [
        "## 4. Sensor tick: `shop_exports_sensor` over a bucket of landed export files",
        "",
        "One tick of the real sensor, evaluated as the daemon does (`evaluate_tick` with the definitions and an",
        "instance). A tick lists the export prefixes of today and yesterday plus the next slice of a sweep",
        "over the whole bucket (5,000 objects; the sweep resumes where the last tick stopped), and checks at",
        "most 500 unloaded object versions against the runs. First tick = from an empty cursor over a bucket",
        "nothing has loaded yet, in a fresh process (the local store hashes each listed file once for its",
        "etag). Steady tick = the next tick in the same process over the same bucket with every file loaded:",
        "nothing new, nothing requested. A file landing late for an old day is found within one lap of the",
        "sweep (ticks per lap x the tick interval). Baseline = the bare listing of the whole prefix in a fresh",
        "process: an `os.scandir` walk with a stat per file, or boto3's `list_objects_v2` paginator against the",
        "same moto server (moto lists about 0.4 ms per object on a quiet machine, mostly its XML serializer).",
        "Goal: a tick's work bounded by its budget whatever the bucket size.",
        "",
        *sensor_tick_rows(results),
    ]
    return section, sensor_tick_summary(results)


def file_to_kpi_section(args: argparse.Namespace) -> Section:
    print("file to KPI with dagster dev running...", flush=True)
    figure = file_to_kpi.measure(args.repeats, args.data / "file_to_kpi-dagster-dev.log")
    section = [
        "## 5. File to KPI row, with `make dev` running (the latency half of figure 4)",
        "",
        f"The real `dagster dev` (sensors and automation as shipped: the landing sensor every "
        f"{figure.sensor_interval_s} s, the",
        f"automation sensor every {figure.automation_interval_s} s) over a home with "
        f"{file_to_kpi.HISTORY_DAYS} days already loaded. Each sample lands the next day's export",
        "files of the four tables and waits for `kpi_daily_sales` to have that day's partition. Baseline in the",
        "same sample: the time the chain's runs spent running (each run's process start-up included; the",
        "rest is waiting for sensor ticks and queues). Goal: file to KPI under one minute locally.",
        "",
        *file_to_kpi_rows(figure),
    ]
    return section, file_to_kpi_summary(figure)


# Name -> (number in the report, section writer).
FIGURES = {
    "raw_load": (1, raw_load_section),
    "backfill": (2, backfill_section),
    "location_load": (3, location_load_section),
    "sensor_tick": (4, sensor_tick_section),
    "file_to_kpi": (5, file_to_kpi_section),
}


def _ints(values: str) -> list[int]:
    return [int(v) for v in values.split(",")]


def main(argv: list[str] | None = None) -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--figures", default=",".join(FIGURES), help=f"comma-separated, of: {', '.join(FIGURES)}")
    parser.add_argument("--scales", default="1000000,5000000,20000000", help="raw load: order lines per day")
    parser.add_argument("--days", default="30,90", help="backfill: days of history")
    parser.add_argument("--orders-per-day", type=float, default=1000, help="backfill: orders a day")
    parser.add_argument("--sampled-days", type=int, default=3, help="backfill: one-day runs measured")
    parser.add_argument("--models", default="100,500,1000", help="code location load: synthetic dbt models")
    parser.add_argument("--objects", default="1000,10000,100000", help="sensor tick: objects in the bucket")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=REPO_ROOT / ".cumulus" / "bench")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    chosen = args.figures.split(",")
    unknown = set(chosen) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; choose from {list(FIGURES)}")

    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    # Each figure is written as soon as it is measured, so a failure in a later one (a full run takes about
    # two hours) keeps the figures before it.
    for name in chosen:
        number, measure_section = FIGURES[name]
        section, summary = measure_section(args)
        write(args.out, command, args.repeats, {number: section}, {number: summary})
        print(f"wrote figure {number} to {args.out}", flush=True)


if __name__ == "__main__":
    main()
