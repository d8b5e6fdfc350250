"""Figure 5: from an export day landing to its KPI row, with `make dev` running.

The real `dagster dev` (webserver, daemon, code server; sensors and automation running as shipped) over a
home whose history is already loaded. Each sample lands the next business day's export files (the four
tables' `dt=` prefixes, copied in atomically as an upload finishes) and reads the instance until
`kpi_daily_sales` has that day's partition materialized. Measured: landing -> first load run requested
(the landing sensor), landing -> KPI row, and the baseline in the same sample: the time the runs of that
chain spent running (the engine work plus each run's start-up); the rest is waiting for sensor ticks and
run queues.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._core.storage.tags import SENSOR_NAME_TAG

from assets.policies import SENSOR_TICK_SECONDS
from bench.data import bench_home

FIRST_DAY = date(2026, 11, 2)
HISTORY_DAYS = 3
ORDERS_PER_DAY = 200
TIMEOUT_S = 900.0
DAILY_KPI = dg.AssetKey(["snowflake", "kpi", "kpi_daily_sales"])


@dataclass(frozen=True)
class Latency:
    day: str
    to_request_s: float
    to_kpi_s: float
    running_s: float  # union of the chain's run intervals, landing to KPI

    @property
    def waiting_share(self) -> float:
        return 1 - self.running_s / self.to_kpi_s


@dataclass(frozen=True)
class LatencyFigure:
    samples: list[Latency]
    sensor_interval_s: int
    automation_interval_s: int

    def median(self, name: str) -> float:
        return statistics.median(getattr(s, name) for s in self.samples)


def land_day(staging: Path, lake: Path, day: date) -> None:
    """Every table's export files of `day`, copied from the staging bucket as finished uploads."""
    from contracts.shop import SHOP_TABLES, export_partition_prefix
    from resources.storage.local import LocalObjectStore

    source, target = LocalObjectStore(root=str(staging)), LocalObjectStore(root=str(lake))
    for table in SHOP_TABLES:
        for obj in source.list_objects(export_partition_prefix(table.name, day.isoformat())):
            target.write_bytes(obj.key, source.read_bytes(obj.key))


@contextmanager
def dev_server_over_history(samples: int, log: Path) -> Iterator[tuple[Path, Path, dg.DagsterInstance]]:
    """A home with HISTORY_DAYS loaded (as `make demo` does) and `dagster dev` running over it; yields the
    staging bucket holding the days still to land, the lake, and the instance (read-only here)."""
    from cli.demo import record_landed_files
    from cli.runs import materialize_all_for_days
    from definitions import build_definitions
    from devtools.dagster_server import dagster_dev, instance_environment
    from generator.shop import ShopConfig, generate_shop_exports
    from resources.settings import Settings
    from resources.storage.local import LocalObjectStore

    home = bench_home()
    staging = home / "staging"
    try:
        env = instance_environment(home)
        days = HISTORY_DAYS + samples
        generate_shop_exports(
            LocalObjectStore(root=str(staging)), FIRST_DAY, days, ShopConfig(orders_per_day=ORDERS_PER_DAY)
        )
        settings = Settings(env="local", home=home)
        lake = settings.lake_root
        for offset in range(HISTORY_DAYS):
            land_day(staging, lake, FIRST_DAY + timedelta(days=offset))
        defs = build_definitions(settings)
        last = FIRST_DAY + timedelta(days=HISTORY_DAYS - 1)
        log.parent.mkdir(parents=True, exist_ok=True)
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            with open(log.with_suffix(".setup.log"), "w") as out, redirect_stdout(out), redirect_stderr(out):
                record_landed_files(defs, instance)
                materialize_all_for_days(defs, instance, FIRST_DAY, last)
            with dagster_dev(env, log):
                wait_until_quiet(instance)
                yield staging, lake, instance
    finally:
        shutil.rmtree(home, ignore_errors=True)


def wait_until_quiet(instance: dg.DagsterInstance, settle_s: float = 2 * SENSOR_TICK_SECONDS + 5) -> None:
    """Until both sensors have ticked over the loaded history (a tick interval or more) and no run is queued or
    running: the steady state `make dev` sits in before a file lands."""
    deadline = time.monotonic() + TIMEOUT_S
    quiet_since = None
    while time.monotonic() < deadline:
        busy = instance.get_runs(dg.RunsFilter(statuses=NOT_FINISHED_STATUSES))
        quiet_since = None if busy else (quiet_since or time.monotonic())
        if quiet_since is not None and time.monotonic() - quiet_since > settle_s:
            return
        time.sleep(1.0)
    raise TimeoutError("dagster dev did not settle")


def one_landing(staging: Path, lake: Path, instance: dg.DagsterInstance, day: date) -> Latency:
    earlier_runs = {r.dagster_run.run_id for r in instance.get_run_records()}
    land_day(staging, lake, day)
    landed = time.time()
    key = day.isoformat()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=DAILY_KPI, asset_partitions=[key], after_timestamp=landed), limit=1
        ).records
        if records:
            kpi_at = records[0].timestamp
            break
        failed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        if any(r.run_id not in earlier_runs for r in failed):
            raise RuntimeError(f"a run failed while {key} was being loaded; see the dagster dev log")
        time.sleep(0.5)
    else:
        raise TimeoutError(f"no KPI row for {key} within {TIMEOUT_S:.0f} s of its files landing")
    chain = [r for r in instance.get_run_records() if r.dagster_run.run_id not in earlier_runs]
    loads = [r for r in chain if r.dagster_run.tags.get(SENSOR_NAME_TAG) == "shop_exports_sensor"]
    requested = min(r.create_timestamp.timestamp() for r in loads)
    intervals = [(r.start_time, min(r.end_time or kpi_at, kpi_at)) for r in chain if r.start_time]
    return Latency(key, requested - landed, kpi_at - landed, _covered(intervals, landed, kpi_at))


def _covered(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of [start, end] during which at least one of the intervals was running."""
    covered, reach = 0.0, start
    for begin, finish in sorted(intervals):
        begin, finish = max(begin, reach), min(finish, end)
        if finish > begin:
            covered, reach = covered + finish - begin, finish
    return covered


def measure(samples: int, log: Path) -> LatencyFigure:
    from assets.kpi.sources import shop_exports_sensor
    from assets.policies import automation_sensor

    with dev_server_over_history(samples, log) as (staging, lake, instance):
        latencies = []
        for i in range(samples):
            day = FIRST_DAY + timedelta(days=HISTORY_DAYS + i)
            latencies.append(one_landing(staging, lake, instance, day))
            print(f"  {day}: KPI row {latencies[-1].to_kpi_s:.0f} s after landing", flush=True)
            wait_until_quiet(instance, settle_s=5.0)  # the next day lands once this one's runs are done
    automation_interval = automation_sensor().minimum_interval_seconds
    return LatencyFigure(latencies, shop_exports_sensor.minimum_interval_seconds, automation_interval)
