"""The DuckDB warehouse waits only for DuckDB's lock conflict (another process holding the file), and fails at
once on any other error opening it, such as a corrupt file whose path happens to contain "lock"."""

from __future__ import annotations

import time

import duckdb
import pytest

from resources.warehouse.duckdb_lock import WarehouseLockTimeout
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.warehouse_holder import held_by_another_process


def test_a_lock_held_by_another_process_is_waited_for_then_the_connection_opens(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with held_by_another_process(path, seconds=1.0):
        started = time.monotonic()
        with DuckDBWarehouse(path=str(path), lock_timeout_seconds=60).connect() as con:
            waited = time.monotonic() - started
            assert con.execute("SELECT 42").fetchone() == (42,)
    assert 0.5 < waited < 30


def test_a_lock_held_past_the_timeout_fails_naming_the_holder(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with held_by_another_process(path, seconds=30):
        started = time.monotonic()
        warehouse = DuckDBWarehouse(path=str(path), lock_timeout_seconds=0.5)
        holder = r"stayed locked by .*python.* \(PID \d+\)"
        with pytest.raises(WarehouseLockTimeout, match=holder) as raised, warehouse.connect():
            pass
        assert isinstance(raised.value.__cause__, duckdb.IOException)
        assert time.monotonic() - started < 10


def test_a_corrupt_warehouse_file_under_a_blocks_folder_fails_at_once(tmp_path):
    """Its path contains "lock" ("blocks"), which the old substring test took for a lock conflict: 300 s."""
    path = tmp_path / "blocks" / "warehouse.duckdb"
    path.parent.mkdir()
    path.write_bytes(b"not a database, " * 1000)
    started = time.monotonic()
    warehouse = DuckDBWarehouse(path=str(path), lock_timeout_seconds=300)
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"), warehouse.connect():
        pass
    assert time.monotonic() - started < 5


def test_a_read_only_connection_inside_a_session_reads_through_the_open_database(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "blocks.duckdb"))
    with warehouse.session(), warehouse.connect(read_only=True) as con:
        assert con.execute("SELECT 1").fetchone() == (1,)
