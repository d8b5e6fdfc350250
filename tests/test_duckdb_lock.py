"""DuckDB's lock conflict told apart from other errors, and the bounded wait for a warehouse file's lock, with
a real second process holding the file."""

from __future__ import annotations

import logging
import sys
import time

import duckdb
import pytest

from resources.warehouse.duckdb_lock import WarehouseLockTimeout, lock_holder, wait_for_write_lock
from tests.warehouse_holder import held_by_another_process


@pytest.fixture
def held_warehouse(tmp_path):
    """The warehouse held by a read-only session in another process (what the README suggests analysts use)."""
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    with held_by_another_process(path, seconds=60, read_only=True) as holder:
        yield path, holder


def test_a_read_only_session_in_another_process_is_a_lock_conflict_naming_that_process(held_warehouse):
    path, holder = held_warehouse
    with pytest.raises(duckdb.Error) as conflict:
        duckdb.connect(str(path))
    found = lock_holder(conflict.value)
    assert found is not None and found.pid == holder.pid
    assert str(found).startswith(f"{sys.executable} -c import sys, time, duckdb")  # its command line, where readable


def test_an_unreadable_file_in_a_folder_named_blocks_is_not_a_lock_conflict_and_is_not_waited_for(tmp_path):
    path = tmp_path / "blocks" / "warehouse.duckdb"
    path.parent.mkdir()
    path.write_bytes(b"not a duckdb file" * 512)
    with pytest.raises(duckdb.Error) as other:
        duckdb.connect(str(path))
    assert lock_holder(other.value) is None
    began = time.monotonic()
    with pytest.raises(duckdb.Error):
        wait_for_write_lock(path, timeout_seconds=30, log=logging.getLogger("test"))
    assert time.monotonic() - began < 5


def test_waiting_for_a_lock_that_is_never_released_ends_with_an_error_naming_the_holder(held_warehouse, caplog):
    path, holder = held_warehouse
    caplog.set_level(logging.INFO)
    with pytest.raises(WarehouseLockTimeout, match=f"PID {holder.pid}"):
        wait_for_write_lock(path, timeout_seconds=1, log=logging.getLogger("test"))
    assert "waiting for the warehouse lock held by" in caplog.text
