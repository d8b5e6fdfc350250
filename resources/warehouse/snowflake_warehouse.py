"""The Snowflake implementation of `Warehouse`, built on dagster-snowflake's `SnowflakeResource`.

Raw loads validate exactly as `DuckDBWarehouse` does: the same generated SQL (resources/warehouse/validation_sql.py)
runs in an in-process, in-memory DuckDB over the same line reader, so quarantine reasons, duplicates and
the winning versions cannot differ between the lanes. Only the outcome travels to Snowflake:

1. DuckDB (resources/warehouse/snowflake_staging.py; no Snowflake call yet, so an unreadable file leaves
   Snowflake untouched): read the lines, validate, pick the latest version per key, write the valid rows
   and the quarantine rows to two parquet files in a temporary folder.
2. Snowflake DDL, which commits implicitly and so must precede the transaction: `CREATE SCHEMA/TABLE/STAGE
   IF NOT EXISTS`, `ALTER TABLE ADD COLUMN` for fields a newer contract added.
3. `PUT` the parquet files to a fresh path `@RAW.CUMULUS_LOADS/<table>/<partition>/<uuid>/{rows,quarantine}/`
   (a fresh path per load: Snowflake skips a file it has loaded before, and a PUT is not transactional).
4. One transaction: `DELETE` the partition from RAW.<TABLE> (by its partition column) and from RAW.QUARANTINE
   (by `partition_key`; an older table keyed by `export_date` is converted first), `COPY INTO` both from
   their stage paths (`TYPE=PARQUET`, `MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE`, `ON_ERROR=ABORT_STATEMENT`,
   `PURGE=TRUE`), check that every file was LOADED with the expected row count, `COMMIT`; on any error
   `ROLLBACK`, so what was loaded before stays as it was.
5. After commit, count the partition's rows in Snowflake (`rows_loaded`).

Identifiers are Snowflake's unquoted, upper-case ones (written quoted in upper case, so reserved words are
safe): `raw`/`orders`/`order_id` from the contracts become RAW.ORDERS.ORDER_ID, which is what unquoted SQL
(dbt-snowflake's sources, `_reconciliation`) resolves to. `query` and `table_columns` give lower-case
column names and the logical type names of `contracts.schema.WAREHOUSE_TYPES`, like the DuckDB lane.

Secrets: the password is a field excluded from the repr, is passed only to the connector, and errors
raised here name the account, host and port, never credentials.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
import snowflake.connector
from dagster_snowflake import SnowflakeResource
from pydantic import Field

from contracts.schema import TableContract
from contracts.types import DUCKDB, SNOWFLAKE
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_SCHEMA,
    RawFile,
    RawLoadResult,
    RawPartition,
    Warehouse,
)
from resources.warehouse.snowflake_staging import copy_into, prepare_partition, put

LOAD_STAGE = "CUMULUS_LOADS"  # a named internal stage in the RAW schema

# information_schema.columns.data_type -> logical name, for the types that are not NUMBER.
_LOGICAL_TYPES: dict[str, str] = {
    "TEXT": "VARCHAR",
    "VARCHAR": "VARCHAR",
    "STRING": "VARCHAR",
    "FLOAT": "DOUBLE",
    "DOUBLE": "DOUBLE",
    "REAL": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP_TZ": "TIMESTAMPTZ",
    "TIMESTAMP_NTZ": "TIMESTAMP",
    "DATE": "DATE",
}

# Connector errors meaning "no answer from the endpoint" (login failed to connect / a request failed).
_UNREACHABLE_ERRNOS = frozenset({250001, 250003})


class SnowflakeUnreachableError(ConnectionError):
    """Snowflake's endpoint did not answer (stopped emulator, wrong host, no network)."""


def _is_unreachable(error: BaseException) -> bool:
    return isinstance(error, snowflake.connector.errors.OperationalError) and error.errno in _UNREACHABLE_ERRNOS


# The loader declares columns in DuckDB's spelling; contracts/types.py renders each scalar for both engines.
_SCALAR_OF_DUCKDB_TYPE = {spelling: scalar for scalar, spelling in DUCKDB.scalars.items()}


def snowflake_type(warehouse_type: str) -> str:
    """The Snowflake column type for a contract's warehouse type (DuckDB spelling), from contracts/types.py."""
    return SNOWFLAKE.scalars[_SCALAR_OF_DUCKDB_TYPE[warehouse_type.upper()]]


def logical_type(data_type: str, precision: int | None = None, scale: int | None = None) -> str:
    """information_schema's type back to the names of `WAREHOUSE_TYPES` where one fits."""
    data_type = data_type.upper()
    if data_type in ("NUMBER", "DECIMAL", "NUMERIC"):
        if not scale:
            return "INTEGER" if precision is not None and precision <= 10 else "BIGINT"
        return f"DECIMAL({precision},{scale})"
    return _LOGICAL_TYPES.get(data_type, data_type)


def ident(name: str) -> str:
    """A contract name as Snowflake's unquoted identifier (upper case), quoted so keywords are safe."""
    rv.quote_ident(name)  # rejects anything but letters, digits and underscores
    return f'"{name.upper()}"'


def table_ref(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


class SnowflakeWarehouse(Warehouse):
    """Snowflake (or an endpoint speaking its protocol, e.g. a fakesnow server) as the `Warehouse`."""

    account: str = Field(description="Snowflake account identifier.")
    user: str = Field(description="User to connect as.")
    password: str | None = Field(default=None, repr=False, description="The user's password (a secret).")
    role: str | None = Field(default=None, description="Role to use.")
    warehouse: str | None = Field(default=None, description="Virtual warehouse to run the queries on.")
    database: str = Field(description="Database holding the RAW schema and the dbt schemas.")
    host: str | None = Field(default=None, description="Endpoint host instead of the account's (an emulator).")
    port: int | None = Field(default=None, description="Endpoint port instead of 443.")
    protocol: str | None = Field(default=None, description="'https' (Snowflake) or 'http' (an emulator).")
    login_timeout: int = Field(default=30, description="Seconds to wait for a login before failing.")
    network_timeout: int | None = Field(
        default=120, description="Seconds a request may go unanswered before failing (None: the connector's)."
    )

    # ----------------------------------------------------------------------------------------- connection

    def snowflake_resource(self) -> SnowflakeResource:
        """The dagster-snowflake resource these fields describe (never log it: it holds the password)."""
        endpoint = {k: v for k, v in (("host", self.host), ("port", self.port), ("protocol", self.protocol)) if v}
        return SnowflakeResource(
            account=self.account,
            user=self.user,
            password=self.password,
            role=self.role,
            warehouse=self.warehouse,
            database=self.database,
            timezone="UTC",
            login_timeout=self.login_timeout,
            network_timeout=self.network_timeout,
            # qmark: `?` placeholders bound by Snowflake itself, the same spelling DuckDB binds (Warehouse.query).
            additional_snowflake_connection_args={**endpoint, "paramstyle": "qmark"},
        )

    def describe_endpoint(self) -> str:
        where = f"{self.host}:{self.port or 443}" if self.host else f"{self.account}.snowflakecomputing.com"
        return f"Snowflake account {self.account} at {where} (database {self.database})"

    def _unreachable(self, error: snowflake.connector.errors.Error) -> SnowflakeUnreachableError:
        first = str(getattr(error, "msg", "") or error).splitlines()[0]
        return SnowflakeUnreachableError(f"{self.describe_endpoint()} did not answer: {first}")

    @contextmanager
    def connect(self) -> Iterator[snowflake.connector.SnowflakeConnection]:
        """A connection, closed afterwards; unreachable endpoints raise `SnowflakeUnreachableError`."""
        try:
            with self.snowflake_resource().get_connection() as conn:
                try:
                    yield conn
                except BaseException:
                    # SnowflakeResource.get_connection closes only when its block succeeds.
                    with suppress(Exception):
                        conn.close()
                    raise
        except snowflake.connector.errors.OperationalError as error:
            if _is_unreachable(error):
                raise self._unreachable(error) from None
            raise

    # --------------------------------------------------------------------------------------------- reads

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.connect() as conn:
            cur = conn.cursor()
            cur.execute(sql, list(params))
            return _frame(cur)

    def table_columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        with self.connect() as conn:
            rows = (
                conn.cursor()
                .execute(
                    "SELECT column_name, data_type, numeric_precision, numeric_scale "
                    "FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                    "ORDER BY ordinal_position",
                    [schema.upper(), table.upper()],
                )
                .fetchall()
            )
        return [(name.lower(), logical_type(dtype, precision, scale)) for name, dtype, precision, scale in rows]

    # --------------------------------------------------------------------------------------------- loads

    def load_raw_partition(
        self, contract: TableContract, partition: RawPartition, files: Sequence[RawFile]
    ) -> RawLoadResult:
        target = table_ref(RAW_SCHEMA, contract.name)
        quarantine = table_ref(RAW_SCHEMA, QUARANTINE_TABLE)
        column = ident(partition.column.name)
        with tempfile.TemporaryDirectory(prefix="cumulus-snowflake-load-") as tmp:
            prepared = prepare_partition(contract, partition, files, Path(tmp))
            with self.connect() as conn:
                cur = conn.cursor()
                self._ensure_tables(cur, contract, partition)
                stage = f"@{RAW_SCHEMA.upper()}.{LOAD_STAGE}"
                folder = re.sub(r"[^0-9A-Za-z_-]", "", partition.key)  # 2026-11-03-07:00 -> 2026-11-03-0700
                prefix = f"{stage}/{contract.name}/{folder}/{uuid.uuid4().hex}"
                loads = [
                    (target, prepared.rows_file, f"{prefix}/rows/", prepared.rows),
                    (quarantine, prepared.quarantine_file, f"{prefix}/quarantine/", prepared.quarantined),
                ]
                for _, path, location, count in loads:
                    if count:
                        put(cur, path, location)
                cur.execute("BEGIN")
                try:
                    cur.execute(f"DELETE FROM {target} WHERE {column} = ?", [partition.value])
                    cur.execute(
                        f"DELETE FROM {quarantine} WHERE {ident('source_table')} = ? AND {ident('partition_key')} = ?",
                        [contract.name, partition.key],
                    )
                    for table, _, location, count in loads:
                        if count:
                            copy_into(cur, table, location, count)
                    cur.execute("COMMIT")
                except BaseException as error:
                    if not _is_unreachable(error):  # else the ROLLBACK would wait for the dead endpoint too
                        with suppress(Exception):
                            cur.execute("ROLLBACK")
                    raise
                counted = cur.execute(f"SELECT count(*) FROM {target} WHERE {column} = ?", [partition.value])
                rows_loaded = counted.fetchone()[0]
        return prepared.validation.result(contract, partition, files, rows_loaded, prepared.quarantined)

    def _ensure_tables(self, cur: Any, contract: TableContract, partition: RawPartition) -> None:
        """Schema, tables and stage if missing; columns a newer contract added (additive evolution only).

        DDL commits implicitly in Snowflake, so this runs before the load's transaction.
        """
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(RAW_SCHEMA)}")
        cur.execute(f"CREATE STAGE IF NOT EXISTS {RAW_SCHEMA.upper()}.{LOAD_STAGE}")
        for table, columns in (
            (contract.name, rv.warehouse_columns(contract, partition.column)),
            (QUARANTINE_TABLE, list(QUARANTINE_COLUMNS)),
        ):
            ref = table_ref(RAW_SCHEMA, table)
            ddl = ", ".join(f"{ident(name)} {snowflake_type(dtype)}" for name, dtype in columns)
            cur.execute(f"CREATE TABLE IF NOT EXISTS {ref} ({ddl})")
            existing = _column_names(cur, table)
            if table == QUARANTINE_TABLE and "EXPORT_DATE" in existing and "PARTITION_KEY" not in existing:
                _key_quarantine_by_partition(cur, ref)
                existing = _column_names(cur, table)
            for name, dtype in columns:
                if name.upper() not in existing:
                    cur.execute(f"ALTER TABLE {ref} ADD COLUMN {ident(name)} {snowflake_type(dtype)}")


def _column_names(cur: Any, table: str) -> set[str]:
    rows = cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [RAW_SCHEMA.upper(), table.upper()],
    ).fetchall()
    return {row[0].upper() for row in rows}


def _key_quarantine_by_partition(cur: Any, quarantine: str) -> None:
    """A quarantine table from before partition keys (`EXPORT_DATE DATE`) gets `PARTITION_KEY VARCHAR`
    holding the date's ISO text (a daily key), and loses `EXPORT_DATE` (Snowflake cannot retype in place)."""
    cur.execute(f"ALTER TABLE {quarantine} ADD COLUMN {ident('partition_key')} VARCHAR")
    cur.execute(f"UPDATE {quarantine} SET {ident('partition_key')} = TO_VARCHAR({ident('export_date')}, 'YYYY-MM-DD')")
    cur.execute(f"ALTER TABLE {quarantine} DROP COLUMN {ident('export_date')}")


def _frame(cur: Any) -> pd.DataFrame:
    """The cursor's result as a DataFrame with lower-case column names."""
    names = [d.name.lower() for d in cur.description or []]
    try:
        frame = cur.fetch_pandas_all()
    except snowflake.connector.errors.NotSupportedError:
        # results that did not come back as arrow (e.g. a DML's row counts)
        return pd.DataFrame.from_records(cur.fetchall(), columns=names)
    if len(frame.columns) != len(names):
        return pd.DataFrame(columns=names)
    frame.columns = names
    return frame
