"""The DuckDB warehouse: a local file standing in for Snowflake (and, in its own file, BigQuery)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from contracts.schema import TableContract
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    RawFile,
    RawLoadResult,
    Warehouse,
)
from resources.warehouse.validation import LOAD_MEMORY_LIMIT, validate_files

if TYPE_CHECKING:
    # Only query results are frames (DuckDB imports pandas when one is asked for): importing pandas here
    # cost every process that loads the definitions ~0.4 s of its ~8 s import (python -X importtime).
    import pandas as pd


def _is_lock_conflict(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


def _is_open_for_writing_here(error: duckdb.Error) -> bool:
    return "different configuration than existing connections" in str(error)


class DuckDBWarehouse(Warehouse):
    """A DuckDB file standing in for Snowflake.

    DuckDB lets one process write a file at a time, and a second writer fails at once with a lock
    error. Connections here are short-lived and retried with jittered backoff for up to
    `lock_timeout_seconds`, so concurrent runs queue behind each other instead of failing.
    """

    path: str
    lock_timeout_seconds: float = 300.0
    memory_limit: str = LOAD_MEMORY_LIMIT
    """Per connection; beyond it DuckDB spills to `<path>.tmp/` (see LOAD_MEMORY_LIMIT)."""

    @contextmanager
    def session(self) -> Iterator[None]:
        """The database held open for the block, so the connections inside cost ~1 ms, not ~36 ms.

        DuckDB opens a file (reading its catalog) when the process has no connection to it and checkpoints
        it when the last one closes; with one held, `duckdb.connect` attaches to the open database. A
        30-day backfill's 120 day loads took 9.9 s one connection each, 5.6 s in a session (medians of 3,
        2026-12-06). The file's write lock is held for the block: another process waits (`connect`'s
        retries) for the whole block rather than slipping in between two days, which the retries' backoff
        rarely managed anyway; the pipeline's writers queue on the warehouse pool regardless. Never around
        a dbt invocation: the dbt process must open the file itself.
        """
        with self.connect():
            yield

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.05
        while True:
            try:
                con = duckdb.connect(self.path, read_only=read_only)
                break
            except duckdb.Error as error:
                if read_only and _is_open_for_writing_here(error):
                    # This process has the file open read-write (a session): a read-only connection
                    # cannot attach to it, a read-write one reads the same committed data.
                    read_only = False
                    continue
                if not _is_lock_conflict(error) or time.monotonic() > deadline:
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 2.0)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        if not Path(self.path).exists():
            raise FileNotFoundError(f"warehouse {self.path} does not exist yet: load some data first")
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or {}).df()

    def table_columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        if not Path(self.path).exists():
            return []
        with self.connect(read_only=True) as con:
            rows = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = $schema AND table_name = $table ORDER BY ordinal_position",
                {"schema": schema, "table": table},
            ).fetchall()
        return [(name, dtype) for name, dtype in rows]

    def load_raw_partition(self, contract: TableContract, export_date: date, files: Sequence[RawFile]) -> RawLoadResult:
        with self.connect() as con:
            _ensure_table(con, RAW_SCHEMA, contract.name, rv.warehouse_columns(contract))
            _ensure_table(con, RAW_SCHEMA, QUARANTINE_TABLE, list(QUARANTINE_COLUMNS))
            validation = validate_files(con, contract, files)
            rows_loaded, quarantined = _replace_partition(con, contract, export_date)
        return validation.result(contract, export_date, files, rows_loaded, quarantined)


def _ensure_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[tuple[str, str]]) -> None:
    """Create the table, or add the columns a newer contract introduced (additive evolution only)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {rv.quote_ident(schema)}")
    target = f"{rv.quote_ident(schema)}.{rv.quote_ident(table)}"
    ddl = ", ".join(f"{rv.quote_ident(name)} {dtype}" for name, dtype in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} ({ddl})")
    existing = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $s AND table_name = $t",
            {"s": schema, "t": table},
        ).fetchall()
    }
    for name, dtype in columns:
        if name not in existing:
            con.execute(f"ALTER TABLE {target} ADD COLUMN {rv.quote_ident(name)} {dtype}")


def _replace_partition(con: duckdb.DuckDBPyConnection, contract: TableContract, export_date: date) -> tuple[int, int]:
    """Swap the export day's rows and quarantine entries in one transaction."""
    target = f"{RAW_SCHEMA}.{rv.quote_ident(contract.name)}"
    quarantine = f"{RAW_SCHEMA}.{QUARANTINE_TABLE}"
    day = {"export_date": export_date}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {target} WHERE _export_date = $export_date", day)
        con.execute(f"INSERT INTO {target} BY NAME {rv.latest_versions_sql(contract)}", day)
        con.execute(
            f"DELETE FROM {quarantine} WHERE source_table = $table AND export_date = $export_date",
            {**day, "table": contract.name},
        )
        con.execute(f"INSERT INTO {quarantine} {rv.quarantine_rows_sql()}", {**day, "table": contract.name})
        loaded = con.execute(f"SELECT count(*) FROM {target} WHERE _export_date = $export_date", day)
        rows_loaded = loaded.fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _validated WHERE reason IS NOT NULL").fetchone()[0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return rows_loaded, quarantined
