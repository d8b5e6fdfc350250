"""Steps 1 and 4 of a Snowflake raw load (resources/warehouse/snowflake_warehouse.py): the partition validated
in an in-memory DuckDB into parquet files, and each file copied from the stage with its row count checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from contracts.schema import TableContract
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import RawFile, RawPartition
from resources.warehouse.validation import LOAD_MEMORY_LIMIT, Validation, validate_files


class SnowflakeLoadError(RuntimeError):
    """A COPY INTO did not load what was staged; the transaction was rolled back."""


@dataclass(frozen=True)
class PreparedPartition:
    """The outcome of validating one partition's files in DuckDB, ready to be staged."""

    validation: Validation
    rows: int
    quarantined: int
    rows_file: Path
    quarantine_file: Path


def prepare_partition(
    contract: TableContract, partition: RawPartition, files: Sequence[RawFile], folder: Path
) -> PreparedPartition:
    """Validate `files` with the DuckDB lane's SQL in an in-memory DuckDB; write rows and quarantine to parquet.

    Raises `UnreadableExportFile` (naming the key) before anything else happens.
    """
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # Bounded like the local lane's loads; an in-memory database spills to the load's folder.
        con.execute("SET memory_limit = $limit", {"limit": LOAD_MEMORY_LIMIT})
        con.execute("SET temp_directory = $folder", {"folder": str(folder / "spill")})
        validation = validate_files(con, contract, files)
        rows_sql = rv.latest_versions_sql(contract, partition.column)
        con.execute(f"CREATE TEMP TABLE _rows AS {rows_sql}", {"partition_value": partition.value})
        keyed = {"partition_key": partition.key, "table": contract.name}
        con.execute(f"CREATE TEMP TABLE _quarantine AS {rv.quarantine_rows_sql()}", keyed)
        rows_file, quarantine_file = folder / "rows.parquet", folder / "quarantine.parquet"
        con.execute(f"COPY _rows TO {rv.sql_literal(str(rows_file))} (FORMAT PARQUET)")
        con.execute(f"COPY _quarantine TO {rv.sql_literal(str(quarantine_file))} (FORMAT PARQUET)")
        rows = con.execute("SELECT count(*) FROM _rows").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _quarantine").fetchone()[0]
    finally:
        con.close()
    return PreparedPartition(validation, rows, quarantined, rows_file, quarantine_file)


def put(cur: Any, path: Path, location: str) -> None:
    local = str(path)
    if "'" in local:
        raise ValueError(f"cannot PUT a file whose path contains a quote: {local}")
    cur.execute(f"PUT 'file://{local}' {location} AUTO_COMPRESS=FALSE OVERWRITE=TRUE")


def copy_into(cur: Any, table: str, location: str, expected_rows: int) -> None:
    """COPY one staged parquet file into `table`; raise unless it was LOADED with `expected_rows` rows."""
    cur.execute(
        f"COPY INTO {table} FROM {location} FILE_FORMAT=(TYPE=PARQUET) "
        "MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE ON_ERROR=ABORT_STATEMENT PURGE=TRUE"
    )
    names = [d.name.lower() for d in cur.description]
    results = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    loaded = sum(int(r.get("rows_loaded") or 0) for r in results)
    statuses = {str(r.get("status")) for r in results}
    if statuses != {"LOADED"} or loaded != expected_rows:
        detail = "; ".join(f"{r.get('file')}: {r.get('status')} {r.get('first_error') or ''}".strip() for r in results)
        raise SnowflakeLoadError(
            f"COPY INTO {table} from {location} loaded {loaded} of {expected_rows} rows ({detail or 'no files'})"
        )
