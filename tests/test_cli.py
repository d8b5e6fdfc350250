"""`make backfill` (cli/backfill.py) and `make demo`'s arguments, run as a user runs them: a home and a Dagster
instance from the environment, real DuckDB and dbt, the exit code and what the console shows."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.kpi.keys import raw_table_key
from cli.backfill import main as backfill
from contracts.shop import export_partition_prefix
from generator.shop import ShopConfig, generate_shop_exports
from resources.storage.local import LocalObjectStore

pytestmark = pytest.mark.slow  # runs the whole KPI graph with real dbt

REPO = Path(__file__).resolve().parent.parent
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 6)
BROKEN_DAY = date(2026, 11, 5)  # the 4th of the 5 days
CONFIG = ShopConfig(seed=5, orders_per_day=40)
BROKEN_PART = f"{export_partition_prefix('customers', BROKEN_DAY.isoformat())}part-0000.jsonl.gz"


@pytest.fixture
def cli_home(tmp_path, monkeypatch) -> Path:
    """A home and Dagster instance as `make instance` prepares them, named by the environment."""
    home = tmp_path / "home"
    (home / "dagster").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    for name in [n for n in os.environ if n.startswith("CUMULUS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CUMULUS_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


def daily_kpis(lane) -> pd.DataFrame:
    return lane.table("kpi.kpi_daily_sales", "order_date")


def test_one_unreadable_part_fails_its_partition_only_and_the_backfill_says_so(cli_home, make_lane, capsys):
    lake = LocalObjectStore(root=str(cli_home / "lake"))
    generate_shop_exports(lake, FIRST, (LAST - FIRST).days + 1, CONFIG)
    assert lake.read_bytes(BROKEN_PART)  # the part exists; now it arrives corrupt
    lake.write_bytes(BROKEN_PART, b"\x00garbage, not gzip\xff" * 64)

    exit_code = backfill(["--from", FIRST.isoformat(), "--to", LAST.isoformat()])

    out, err = capsys.readouterr()
    summary = out.strip().splitlines()[-1]
    assert exit_code == 1
    assert summary.startswith(f"backfill {FIRST}..{LAST} FAILED: snowflake/raw/customers {BROKEN_DAY} (")
    assert f"({BROKEN_PART})" in summary  # the object key, once (not also the path of its local copy)
    assert f"snowflake/marts/dim_customers {BROKEN_DAY}" in summary  # not built: its input failed
    assert "Traceback" not in out + err
    with dg.DagsterInstance.get() as instance:
        loaded = instance.get_materialized_partitions(raw_table_key("customers"))
        assert loaded == {(FIRST + timedelta(days=i)).isoformat() for i in range(5)} - {BROKEN_DAY.isoformat()}
        assert len(instance.get_materialized_partitions(raw_table_key("orders"))) == 5

    clean = make_lane("clean")
    generate_shop_exports(clean.lake, FIRST, (LAST - FIRST).days + 1, CONFIG)
    assert all(r.success for r in clean.run_everything(FIRST, LAST))
    expected = daily_kpis(clean)
    actual = daily_kpis(make_lane(home=cli_home))
    other_days = expected[expected["order_date"] != pd.Timestamp(BROKEN_DAY)].reset_index(drop=True)
    assert len(other_days) == 4
    pd.testing.assert_frame_equal(
        actual[actual["order_date"] != pd.Timestamp(BROKEN_DAY)].reset_index(drop=True), other_days, check_exact=True
    )


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("2026-11-06", "2026-11-02", "backfill refused: --to 2026-11-02 is before --from 2026-11-06"),
        (
            "2025-06-01",
            "2025-06-02",
            "backfill refused: 2025-06-01..2025-06-02 is outside the daily partitions (2026-01-01..",
        ),
    ],
)
def test_a_refused_range_prints_one_line_and_runs_nothing(cli_home, capsys, first, last, reason):
    assert backfill(["--from", first, "--to", last]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith(reason)
    with dg.DagsterInstance.get() as instance:
        assert not instance.get_runs()


def test_make_demo_passes_the_seed():
    dry_run = subprocess.run(["make", "-n", "demo", "SEED=11"], cwd=REPO, capture_output=True, text=True, check=True)
    (demo,) = [line for line in dry_run.stdout.splitlines() if "-m cli.demo" in line]
    assert demo.endswith("--seed 11")
