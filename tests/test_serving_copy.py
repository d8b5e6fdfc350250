"""The serving copy Superset reads: only the KPI schema, replaced atomically, and never a lock conflict
between a reader of the copy and a writer of the warehouse (real DuckDB files, real threads)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from resources.superset.serving_copy import publish_serving_copy
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

# A reader that holds the copy open this long makes any wait on it visible.
READER_SECONDS = 3.0


@pytest.fixture
def warehouse(tmp_path) -> DuckDBWarehouse:
    """A warehouse with a raw table (customer rows) and two KPI tables."""
    warehouse = DuckDBWarehouse(path=str(tmp_path / "warehouse" / "snowflake.duckdb"), lock_timeout_seconds=0)
    with warehouse.connect() as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.customers AS SELECT 1 AS customer_id, 'a@b.c' AS email")
        con.execute("CREATE SCHEMA kpi")
        con.execute("CREATE TABLE kpi.kpi_daily_sales AS SELECT DATE '2026-11-02' AS order_date, 1000 AS gmv")
        con.execute("CREATE TABLE kpi.kpi_weekly_sales AS SELECT DATE '2026-11-02' AS week_start, 1000 AS gmv")
        con.execute("CREATE VIEW kpi.a_view AS SELECT * FROM raw.customers")
    return warehouse


def read(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_copy_holds_the_kpi_tables_and_nothing_else(warehouse, tmp_path):
    target = tmp_path / "serving" / "kpi_serving.duckdb"
    copy = publish_serving_copy(warehouse, target)
    assert copy.tables == ("kpi.kpi_daily_sales", "kpi.kpi_weekly_sales")
    assert read(target, "SELECT * FROM kpi.kpi_daily_sales") == read(
        Path(warehouse.path), "SELECT * FROM kpi.kpi_daily_sales"
    )
    tables = read(target, "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2")
    assert tables == [("kpi", "kpi_daily_sales"), ("kpi", "kpi_weekly_sales")]  # no raw rows, no views
    assert read(target, "SELECT current_database()") == [("kpi_serving",)]  # the catalog follows the file name
    assert sorted(p.name for p in target.parent.iterdir()) == ["kpi_serving.duckdb"]  # no temp file left


def test_a_missing_warehouse_is_named(tmp_path):
    missing = DuckDBWarehouse(path=str(tmp_path / "nowhere.duckdb"))
    with pytest.raises(FileNotFoundError, match="nowhere.duckdb does not exist yet"):
        publish_serving_copy(missing, tmp_path / "kpi_serving.duckdb")


def _hold_open(path: Path, started: threading.Event, result: dict) -> None:
    """A dashboard reader: opens the copy and runs a query that takes READER_SECONDS."""
    con = duckdb.connect(str(path), read_only=True)
    con.create_function("slow", lambda x: time.sleep(READER_SECONDS) or x, ["BIGINT"], "BIGINT")
    started.set()
    result["gmv"] = con.execute("SELECT slow(gmv) FROM kpi.kpi_daily_sales").fetchall()
    result["finished"] = time.monotonic()
    con.close()


def test_a_long_dashboard_query_blocks_neither_a_pipeline_write_nor_a_republish(warehouse, tmp_path):
    target = tmp_path / "kpi_serving.duckdb"
    publish_serving_copy(warehouse, target)
    started, result = threading.Event(), {}
    reader = threading.Thread(target=_hold_open, args=(target, started, result))
    reader.start()
    assert started.wait(10)
    # lock_timeout_seconds=0: a write that had to wait for the reader would fail at once instead.
    with warehouse.connect() as con:
        con.execute("UPDATE kpi.kpi_daily_sales SET gmv = 2000")
    publish_serving_copy(warehouse, target)
    done = time.monotonic()
    assert reader.is_alive(), "the reader finished before the write and republish: the test proved nothing"
    reader.join()
    assert done < result["finished"]
    assert result["gmv"] == [(1000,)]  # the reader kept its snapshot (the old copy's inode)
    assert read(target, "SELECT gmv FROM kpi.kpi_daily_sales") == [(2000,)]  # new readers see the new copy


def test_a_pipeline_writer_holding_the_warehouse_does_not_block_dashboard_reads(warehouse, tmp_path):
    target = tmp_path / "kpi_serving.duckdb"
    publish_serving_copy(warehouse, target)
    with warehouse.connect() as writer:  # the pipeline mid-run, holding the warehouse's write lock
        writer.execute("UPDATE kpi.kpi_daily_sales SET gmv = 3000")
        assert read(target, "SELECT gmv FROM kpi.kpi_daily_sales") == [(1000,)]
