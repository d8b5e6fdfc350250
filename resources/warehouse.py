"""The warehouse (Snowflake in the cloud): the interface the pipelines use and its DuckDB stand-in.

Raw loads are idempotent per export day: one transaction deletes the day's rows and inserts the day's
validated, de-duplicated records, and replaces the day's quarantine rows, so a re-run gives identical
rows and a failure leaves what was loaded before untouched.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from dagster import ConfigurableResource

from contracts.schema import TableContract
from resources import raw_validation as rv

if TYPE_CHECKING:
    # Only query results are frames (DuckDB imports pandas when one is asked for): importing pandas here
    # cost every process that loads the definitions ~0.4 s of its ~8 s import (python -X importtime).
    import pandas as pd

RAW_SCHEMA = "raw"
QUARANTINE_TABLE = "quarantine"
QUARANTINE_COLUMNS = (
    ("source_table", "VARCHAR"),
    ("export_date", "DATE"),
    ("source_key", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("reason", "VARCHAR"),
    ("raw_line", "VARCHAR"),
)


class UnreadableExportFile(RuntimeError):
    """An export file that cannot be read at all (corrupt gzip, truncated, not text)."""

    def __init__(self, key: str, cause: str) -> None:
        super().__init__(f"export file {key} is unreadable: {cause}")
        self.key = key


@dataclass(frozen=True)
class RawFile:
    """One landed object, available as a local file for the engine to read."""

    key: str
    etag: str
    path: Path


@dataclass(frozen=True)
class RawLoadResult:
    table: str
    export_date: date
    files: tuple[str, ...]
    lines_read: int
    rows_loaded: int
    quarantined: int
    duplicates_dropped: int
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    unknown_fields: tuple[str, ...] = ()


class Warehouse(ConfigurableResource, ABC):
    """SQL warehouse holding the raw tables and everything dbt builds from them."""

    @abstractmethod
    def load_raw_partition(self, contract: TableContract, export_date: date, files: Sequence[RawFile]) -> RawLoadResult:
        """Replace one export day of a raw table with the records of `files`, quarantining bad lines."""

    @abstractmethod
    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a read-only query."""

    @abstractmethod
    def table_columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(name, type) of a table's columns in order; empty when the table does not exist."""

    @contextmanager
    def session(self) -> Iterator[None]:
        """Around a step's many calls (a range's day loads, one output's stats after another): keep what
        each call would open and close. Nothing by default; each call stays as it would be on its own."""
        yield


# DuckDB's memory for a load, beyond which it spills to disk, so a load's memory stays flat as a day grows.
# Measured 2026-11-25 loading one day of order lines (peak RSS of the loading process, wall time):
#   1 GB: 5M lines 757-815 MB, 20M 1,148-1,192 MB (the cap not yet reached at 5M: memory grew with the day);
#   500 MB: 5M 619-650 MB, 20M 670-736 MB. The cost, in bench figure 1 (medians of 3, in the asset):
#   ~10% more time at 5M and 20M (5.9 -> 6.5 s, 25.3 -> 28.7 s); flat memory is the goal that was missed.
LOAD_MEMORY_LIMIT = "500MB"


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


@dataclass(frozen=True)
class Validation:
    """What validating a partition's files in DuckDB found (the rows themselves stay in `_validated`)."""

    lines_read: int
    quarantine_reasons: dict[str, int]
    unknown_fields: tuple[str, ...]

    def result(
        self, contract: TableContract, export_date: date, files: Sequence[RawFile], rows_loaded: int, quarantined: int
    ) -> RawLoadResult:
        return RawLoadResult(
            table=contract.name,
            export_date=export_date,
            files=tuple(f.key for f in files),
            lines_read=self.lines_read,
            rows_loaded=rows_loaded,
            quarantined=quarantined,
            duplicates_dropped=self.lines_read - rows_loaded - quarantined,
            quarantine_reasons=self.quarantine_reasons,
            unknown_fields=self.unknown_fields,
        )


# Files per validating statement: their readers' buffers are held from the statement's start, so this
# bounds that memory (8 x 4 MiB) however many files a day has, and 8 keeps both cores busy.
FILES_PER_STATEMENT = 8


def validate_files(con: duckdb.DuckDBPyConnection, contract: TableContract, files: Sequence[RawFile]) -> Validation:
    """Read and validate the files' lines against the contract into the temp table `_validated`.

    Several files per statement, read in parallel; when a statement fails, each of its files is read on
    its own to name the unreadable one. Shared by every warehouse: the cloud ones run it in a local DuckDB
    before shipping the result.
    """
    con.execute(rv.source_files_sql(), {"keys": [f.key for f in files]})
    # The line numbers come from the SQL, not from the order rows are stored in, so that order need not
    # be kept: with it kept, DuckDB runs the files one after another on one thread.
    # 5M order lines (5 files): 8.4 s -> 4.6 s, bare read_json 4.6 s, measured 2026-11-25 under load.
    con.execute("SET preserve_insertion_order = false")
    try:
        for first in range(0, len(files), FILES_PER_STATEMENT):
            indices = range(first, min(first + FILES_PER_STATEMENT, len(files)))
            into = "CREATE OR REPLACE TEMP TABLE _validated AS" if first == 0 else "INSERT INTO _validated"
            _validate_some(con, contract, into, files, indices)
    finally:
        con.execute("RESET preserve_insertion_order")
    lines_read = con.execute("SELECT count(*) FROM _validated").fetchone()[0]
    unknown = tuple(row[0] for row in con.execute(rv.unknown_fields_sql()).fetchall())
    reasons = dict(
        con.execute(
            "SELECT reason, count(*) FROM _validated WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY count(*) DESC, reason"
        ).fetchall()
    )
    return Validation(lines_read, reasons, unknown)


def _validate_some(
    con: duckdb.DuckDBPyConnection, contract: TableContract, into: str, files: Sequence[RawFile], indices: range
) -> None:
    try:
        con.execute(f"{into} {rv.validated_lines_sql(contract, indices)}", _file_parameters(files, indices))
    except duckdb.Error:
        for index in indices:
            _raise_if_unreadable(con, files, index)
        raise


def _file_parameters(files: Sequence[RawFile], indices: Sequence[int]) -> dict[str, str]:
    """The parameters of `rv.read_lines_sql(indices)`."""
    parameters = {}
    for index in indices:
        parameters[f"path_{index}"] = str(files[index].path)
        parameters[f"compression_{index}"] = "gzip" if files[index].key.endswith(".gz") else "none"
    return parameters


def _raise_if_unreadable(con: duckdb.DuckDBPyConnection, files: Sequence[RawFile], index: int) -> None:
    """Read one file alone; raise `UnreadableExportFile` if it cannot be read."""
    try:
        con.execute(f"SELECT count(*) FROM ({rv.read_lines_sql([index])})", _file_parameters(files, [index])).fetchone()
    except duckdb.Error as error:
        raise UnreadableExportFile(files[index].key, str(error).splitlines()[0]) from error


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
