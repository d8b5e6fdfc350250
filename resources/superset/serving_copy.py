"""The read-only serving copy of the warehouse that the local Superset reads.

DuckDB allows one writing process or many readers per file, not both: a pipeline write makes Superset's
queries fail ("Conflicting lock"), and a long Superset query makes the pipeline's write open fail. So
Superset never opens the warehouse. After each KPI run the dashboard asset copies the tables of the
schemas Superset shows (`kpi`) into a temporary file next to the copy and renames it onto the copy's
fixed name: a reader that has the old copy open keeps reading the old inode, new connections see the
new one, and neither side waits for the other.

Only the schemas a dashboard reads are copied, not the whole warehouse: raw and mart tables hold
customer-level rows Superset has no business reading, and the KPI tables are a few rows per day.
The copy's file name stays fixed because DuckDB names the catalog after the file's stem.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from resources.warehouse.validation_sql import quote_ident


@dataclass(frozen=True)
class ServingCopy:
    path: Path
    tables: tuple[str, ...]  # schema.table, in copy order
    size_bytes: int


def publish_serving_copy(warehouse: DuckDBWarehouse, target: Path, schemas: Sequence[str] = ("kpi",)) -> ServingCopy:
    """Copy the base tables of `schemas` from the warehouse into `target`, replacing it atomically.

    Opens the warehouse read-only with its lock retries (a run writing it is waited for, up to its
    `lock_timeout_seconds`), so the copy is a consistent snapshot of committed data.
    """
    if not Path(warehouse.path).exists():
        raise FileNotFoundError(f"warehouse {warehouse.path} does not exist yet: run the KPI pipeline first")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself; an empty file is not a database
    try:
        with warehouse.connect(read_only=True) as con:
            tables = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' "
                "AND list_contains($schemas, table_schema) ORDER BY table_schema, table_name",
                {"schemas": list(schemas)},
            ).fetchall()
            con.execute(f"ATTACH {_literal(str(tmp))} AS serving_copy (READ_WRITE)")
            for schema in sorted({s for s, _ in tables}):
                con.execute(f"CREATE SCHEMA serving_copy.{quote_ident(schema)}")
            for schema, table in tables:
                name = f"{quote_ident(schema)}.{quote_ident(table)}"
                con.execute(f"CREATE TABLE serving_copy.{name} AS SELECT * FROM {name}")
            con.execute("DETACH serving_copy")  # checkpoints: the file is complete before it is renamed
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    return ServingCopy(target, tuple(f"{s}.{t}" for s, t in tables), target.stat().st_size)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
