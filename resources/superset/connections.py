"""The warehouse connection Superset's datasets read, one per lane, rendered from settings.

Locally Superset reads the read-only serving copy of the KPI schema (resources/superset/serving_copy.py) through
duckdb-engine, opened read-only and with DuckDB's external access off, so SQL Lab on that connection
cannot read or attach any other file (`read_csv('/etc/passwd')` is refused by DuckDB itself). In the cloud
it reads Snowflake directly with the password sent in the import's `passwords` field, never in a file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from dagster import ConfigurableResource

from resources.superset.bundle import DATABASE_FILE
from resources.superset.serving_copy import publish_serving_copy
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

DATABASE_NAME = "cumulus KPI warehouse"
PASSWORD_MASK = "X" * 10  # Superset's placeholder for a password supplied separately

# What a dashboard connection may do: read. No DML, no CREATE TABLE AS, no uploads, no async workers.
_READ_ONLY_FLAGS = {
    "expose_in_sqllab": True,
    "allow_run_async": False,
    "allow_ctas": False,
    "allow_cvas": False,
    "allow_dml": False,
    "allow_file_upload": False,
    "is_managed_externally": True,
}


class SupersetWarehouse(ConfigurableResource, ABC):
    """The database Superset's datasets point at."""

    @abstractmethod
    def prepare(self) -> dict[str, Any]:
        """Make the current KPI tables readable by Superset; returns metadata about what was done."""

    @abstractmethod
    def database_config(self) -> dict[str, Any]:
        """The `databases/...yaml` of the import bundle (no secret in it)."""

    def passwords(self) -> dict[str, str]:
        """The import's `passwords` form field: bundle path -> password."""
        return {}

    @abstractmethod
    def describe(self) -> str:
        """Where the data comes from, for messages and metadata (no secret)."""


class DuckDBServingCopy(SupersetWarehouse):
    """Local lane: Superset reads `serving_path`, a copy of the warehouse's KPI schema published first."""

    warehouse_path: str
    serving_path: str

    def prepare(self) -> dict[str, Any]:
        copy = publish_serving_copy(DuckDBWarehouse(path=self.warehouse_path), Path(self.serving_path))
        return {
            "serving_copy": str(copy.path),
            "serving_copy_tables": list(copy.tables),
            "serving_copy_bytes": copy.size_bytes,
        }

    def database_config(self) -> dict[str, Any]:
        engine = {"connect_args": {"read_only": True, "config": {"enable_external_access": False}}}
        return {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": f"duckdb:///{Path(self.serving_path).resolve()}",
            **_READ_ONLY_FLAGS,
            "extra": {"engine_params": engine, "allows_virtual_table_explore": True},
        }

    def describe(self) -> str:
        return f"the serving copy {self.serving_path}"


class SnowflakeForSuperset(SupersetWarehouse):
    """Cloud lane: Superset reads the KPI schema of the Snowflake database directly."""

    account: str
    user: str
    password: str
    role: str
    warehouse: str
    database: str

    def prepare(self) -> dict[str, Any]:
        return {"source": self.describe()}  # Snowflake serves readers and writers at once: nothing to copy

    def database_config(self) -> dict[str, Any]:
        query = urlencode({"role": self.role, "warehouse": self.warehouse})
        uri = f"snowflake://{quote(self.user, safe='')}:{PASSWORD_MASK}@{self.account}/{self.database}/KPI?{query}"
        return {"database_name": DATABASE_NAME, "sqlalchemy_uri": uri, **_READ_ONLY_FLAGS, "extra": {}}

    def passwords(self) -> dict[str, str]:
        return {DATABASE_FILE: self.password}

    def describe(self) -> str:
        return f"Snowflake {self.account}/{self.database}"
