"""The Snowflake implementation of `Warehouse`, built on dagster-snowflake's `SnowflakeResource`.

Raw loads validate exactly as `DuckDBWarehouse` does: the same generated SQL (resources/warehouse/validation_sql.py)
runs in an in-process, in-memory DuckDB over the same line reader, so quarantine reasons, duplicates and
the winning versions cannot differ between the lanes. Only the outcome travels to Snowflake:

1. DuckDB (no Snowflake call yet, so an unreadable file leaves Snowflake untouched): read the lines,
   validate, pick the latest version per key, write the valid rows and the quarantine rows to two
   parquet files in a temporary folder.
2. Snowflake DDL, which commits implicitly and so must precede the transaction: `CREATE SCHEMA/TABLE/STAGE
   IF NOT EXISTS`, `ALTER TABLE ADD COLUMN` for fields a newer contract added.
3. `PUT` the parquet files to a fresh path `@RAW.CUMULUS_LOADS/<table>/<day>/<uuid>/{rows,quarantine}/`
   (a fresh path per load: Snowflake skips a file it has loaded before, and a PUT is not transactional).
4. One transaction: `DELETE` the day from RAW.<TABLE> and from RAW.QUARANTINE, `COPY INTO` both from
   their stage paths (`TYPE=PARQUET`, `MATCH_BY_COLUMN_NAME=CASE_INSENSITIVE`, `ON_ERROR=ABORT_STATEMENT`,
   `PURGE=TRUE`), check that every file was LOADED with the expected row count, `COMMIT`; on any error
   `ROLLBACK`, so what was loaded before stays as it was.
5. After commit, count the day's rows in Snowflake (`rows_loaded`).

Identifiers are Snowflake's unquoted, upper-case ones (written quoted in upper case, so reserved words are
safe): `raw`/`orders`/`order_id` from the contracts become RAW.ORDERS.ORDER_ID, which is what unquoted SQL
(dbt-snowflake's sources, `_reconciliation`) resolves to. `query` and `table_columns` give lower-case
column names and the logical type names of `contracts.schema.WAREHOUSE_TYPES`, like the DuckDB lane.

Secrets: the password is a field excluded from the repr, is passed only to the connector, and errors
raised here name the account, host and port, never credentials.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import snowflake.connector
from dagster_snowflake import SnowflakeResource
from pydantic import Field

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
from resources.warehouse.pyformat_params import to_pyformat
from resources.warehouse.validation import LOAD_MEMORY_LIMIT, Validation, validate_files

LOAD_STAGE = "CUMULUS_LOADS"  # a named internal stage in the RAW schema

# Warehouse types of the contracts (DuckDB names) -> Snowflake column types. Snowflake's INTEGER and BIGINT
# are both NUMBER(38,0); a 32-bit INTEGER is declared NUMBER(10,0) (it holds every int32) so that the
# logical type survives the round trip through information_schema.
SNOWFLAKE_TYPES: dict[str, str] = {
    "BIGINT": "NUMBER(38,0)",
    "INTEGER": "NUMBER(10,0)",
    "DOUBLE": "FLOAT",
    "VARCHAR": "VARCHAR",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMPTZ": "TIMESTAMP_TZ",
    "DATE": "DATE",
}

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


class SnowflakeLoadError(RuntimeError):
    """A COPY INTO did not load what was staged; the transaction was rolled back."""


def _is_unreachable(error: BaseException) -> bool:
    return isinstance(error, snowflake.connector.errors.OperationalError) and error.errno in _UNREACHABLE_ERRNOS


def snowflake_type(warehouse_type: str) -> str:
    """The Snowflake column type for a contract's warehouse type (DuckDB spelling)."""
    return SNOWFLAKE_TYPES[warehouse_type.upper()]


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


@dataclass(frozen=True)
class _Prepared:
    """The outcome of validating one export day in DuckDB, ready to be staged."""

    validation: Validation
    rows: int
    quarantined: int
    rows_file: Path
    quarantine_file: Path


def prepare_partition(contract: TableContract, export_date: date, files: Sequence[RawFile], folder: Path) -> _Prepared:
    """Validate `files` with the DuckDB lane's SQL in an in-memory DuckDB; write rows and quarantine to parquet.

    Raises `UnreadableExportFile` (naming the key) before anything else happens.
    """
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # Bounded like the local lane's loads; an in-memory database spills to the day's folder.
        con.execute("SET memory_limit = $limit", {"limit": LOAD_MEMORY_LIMIT})
        con.execute("SET temp_directory = $folder", {"folder": str(folder / "spill")})
        validation = validate_files(con, contract, files)
        day = {"export_date": export_date}
        con.execute(f"CREATE TEMP TABLE _rows AS {rv.latest_versions_sql(contract)}", day)
        con.execute(f"CREATE TEMP TABLE _quarantine AS {rv.quarantine_rows_sql()}", {**day, "table": contract.name})
        rows_file, quarantine_file = folder / "rows.parquet", folder / "quarantine.parquet"
        con.execute(f"COPY _rows TO {rv.sql_literal(str(rows_file))} (FORMAT PARQUET)")
        con.execute(f"COPY _quarantine TO {rv.sql_literal(str(quarantine_file))} (FORMAT PARQUET)")
        rows = con.execute("SELECT count(*) FROM _rows").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM _quarantine").fetchone()[0]
    finally:
        con.close()
    return _Prepared(validation, rows, quarantined, rows_file, quarantine_file)


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
            additional_snowflake_connection_args=endpoint or None,
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

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        statement, bound = to_pyformat(sql, params)
        with self.connect() as conn:
            cur = conn.cursor()
            cur.execute(statement, bound)
            return _frame(cur)

    def table_columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        with self.connect() as conn:
            rows = (
                conn.cursor()
                .execute(
                    "SELECT column_name, data_type, numeric_precision, numeric_scale "
                    "FROM information_schema.columns WHERE table_schema = %(schema)s AND table_name = %(table)s "
                    "ORDER BY ordinal_position",
                    {"schema": schema.upper(), "table": table.upper()},
                )
                .fetchall()
            )
        return [(name.lower(), logical_type(dtype, precision, scale)) for name, dtype, precision, scale in rows]

    # --------------------------------------------------------------------------------------------- loads

    def load_raw_partition(self, contract: TableContract, export_date: date, files: Sequence[RawFile]) -> RawLoadResult:
        target = table_ref(RAW_SCHEMA, contract.name)
        quarantine = table_ref(RAW_SCHEMA, QUARANTINE_TABLE)
        day = {"d": export_date, "t": contract.name}
        with tempfile.TemporaryDirectory(prefix="cumulus-snowflake-load-") as tmp:
            prepared = prepare_partition(contract, export_date, files, Path(tmp))
            with self.connect() as conn:
                cur = conn.cursor()
                self._ensure_tables(cur, contract)
                stage = f"@{RAW_SCHEMA.upper()}.{LOAD_STAGE}"
                prefix = f"{stage}/{contract.name}/{export_date.isoformat()}/{uuid.uuid4().hex}"
                loads = [
                    (target, prepared.rows_file, f"{prefix}/rows/", prepared.rows),
                    (quarantine, prepared.quarantine_file, f"{prefix}/quarantine/", prepared.quarantined),
                ]
                for _, path, location, count in loads:
                    if count:
                        _put(cur, path, location)
                cur.execute("BEGIN")
                try:
                    cur.execute(f"DELETE FROM {target} WHERE {ident('_export_date')} = %(d)s", day)
                    cur.execute(
                        f"DELETE FROM {quarantine} WHERE {ident('source_table')} = %(t)s "
                        f"AND {ident('export_date')} = %(d)s",
                        day,
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
                rows_loaded = cur.execute(
                    f"SELECT count(*) FROM {target} WHERE {ident('_export_date')} = %(d)s", day
                ).fetchone()[0]
        return prepared.validation.result(contract, export_date, files, rows_loaded, prepared.quarantined)

    def _ensure_tables(self, cur: Any, contract: TableContract) -> None:
        """Schema, tables and stage if missing; columns a newer contract added (additive evolution only).

        DDL commits implicitly in Snowflake, so this runs before the load's transaction.
        """
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(RAW_SCHEMA)}")
        cur.execute(f"CREATE STAGE IF NOT EXISTS {RAW_SCHEMA.upper()}.{LOAD_STAGE}")
        for table, columns in (
            (contract.name, rv.warehouse_columns(contract)),
            (QUARANTINE_TABLE, list(QUARANTINE_COLUMNS)),
        ):
            ref = table_ref(RAW_SCHEMA, table)
            ddl = ", ".join(f"{ident(name)} {snowflake_type(dtype)}" for name, dtype in columns)
            cur.execute(f"CREATE TABLE IF NOT EXISTS {ref} ({ddl})")
            existing = {
                row[0].upper()
                for row in cur.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = %(s)s AND table_name = %(t)s",
                    {"s": RAW_SCHEMA.upper(), "t": table.upper()},
                ).fetchall()
            }
            for name, dtype in columns:
                if name.upper() not in existing:
                    cur.execute(f"ALTER TABLE {ref} ADD COLUMN {ident(name)} {snowflake_type(dtype)}")


def _put(cur: Any, path: Path, location: str) -> None:
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
