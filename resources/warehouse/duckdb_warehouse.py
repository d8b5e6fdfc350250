"""The DuckDB warehouse: a local file standing in for Snowflake (and, in its own file, BigQuery)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from contracts.schema import TableContract
from resources.warehouse import validation_sql as rv
from resources.warehouse.duckdb_lock import LockWait
from resources.warehouse.interface import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    RawFile,
    RawLoadResult,
    RawPartition,
    Warehouse,
)
from resources.warehouse.validation import LOAD_MEMORY_LIMIT, validate_files

if TYPE_CHECKING:
    # Only query results are frames (DuckDB imports pandas when one is asked for): importing pandas here
    # cost every process that loads the definitions ~0.4 s of its ~8 s import (python -X importtime).
    import pandas as pd


# DuckDB 1.x/2.0 on POSIX, when another process holds the file: IOException 'IO Error: Could not set lock on
# file "<path>": Conflicting lock is held in <program> (PID <n>). See also <docs>'. A corrupt file (even one
# under a folder named `blocks/`) raises an IOException too, "... is not a valid DuckDB database file!".
_OPEN_HERE_OTHERWISE = (
    "Connection Error: Can't open a connection to same database file with a different configuration than "
    "existing connections"
)


def _is_open_for_writing_here(error: duckdb.Error) -> bool:
    """This process already has the file open with another configuration (read-write, in a session)."""
    return isinstance(error, duckdb.ConnectionException) and str(error).startswith(_OPEN_HERE_OTHERWISE)


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
        wait = LockWait(self.path, self.lock_timeout_seconds)
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
                wait.after(error)  # another process holds the file: wait (bounded, logged), or raise
        wait.done()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        if not Path(self.path).exists():
            raise FileNotFoundError(f"warehouse {self.path} does not exist yet: load some data first")
        with self.connect(read_only=True) as con:
            return con.execute(sql, list(params)).df()

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

    def load_raw_partition(
        self, contract: TableContract, partition: RawPartition, files: Sequence[RawFile]
    ) -> RawLoadResult:
        with self.connect() as con:
            _ensure_table(con, RAW_SCHEMA, contract.name, rv.warehouse_columns(contract, partition.column))
            _key_quarantine_by_partition(con)
            _ensure_table(con, RAW_SCHEMA, QUARANTINE_TABLE, list(QUARANTINE_COLUMNS))
            validation = validate_files(con, contract, files)
            rows_loaded, quarantined = _replace_partition(con, contract, partition)
        return validation.result(contract, partition, files, rows_loaded, quarantined)


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


def _key_quarantine_by_partition(con: duckdb.DuckDBPyConnection) -> None:
    """A quarantine table from before partition keys (`export_date DATE`) becomes `partition_key VARCHAR`
    in place: a daily key is the date's ISO text, which is what the cast writes."""
    columns = {
        name: dtype
        for name, dtype in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $s AND table_name = $t",
            {"s": RAW_SCHEMA, "t": QUARANTINE_TABLE},
        ).fetchall()
    }
    if "export_date" in columns and "partition_key" not in columns:
        quarantine = f"{RAW_SCHEMA}.{QUARANTINE_TABLE}"
        con.execute(f"ALTER TABLE {quarantine} RENAME COLUMN export_date TO partition_key")
        con.execute(f"ALTER TABLE {quarantine} ALTER COLUMN partition_key SET DATA TYPE VARCHAR")


def _replace_partition(
    con: duckdb.DuckDBPyConnection, contract: TableContract, partition: RawPartition
) -> tuple[int, int]:
    """Swap the partition's rows and quarantine entries in one transaction."""
    target = f"{RAW_SCHEMA}.{rv.quote_ident(contract.name)}"
    quarantine = f"{RAW_SCHEMA}.{QUARANTINE_TABLE}"
    column = rv.quote_ident(partition.column.name)
    value = {"partition_value": partition.value}
    keyed = {"partition_key": partition.key, "table": contract.name}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {target} WHERE {column} = $partition_value", value)
        con.execute(f"INSERT INTO {target} BY NAME {rv.latest_versions_sql(contract, partition.column)}", value)
        con.execute(f"DELETE FROM {quarantine} WHERE source_table = $table AND partition_key = $partition_key", keyed)
        con.execute(f"INSERT INTO {quarantine} BY NAME {rv.quarantine_rows_sql()}", keyed)
        loaded = con.execute(f"SELECT count(*) FROM {target} WHERE {column} = $partition_value", value)
        rows_loaded = loaded.fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _validated WHERE reason IS NOT NULL").fetchone()[0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return rows_loaded, quarantined
