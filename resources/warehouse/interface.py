"""The warehouse interface (Snowflake, BigQuery; DuckDB files locally) and what a raw load returns.

Raw loads are idempotent per partition: one transaction deletes the partition's rows and inserts its
validated, de-duplicated records, and replaces its quarantine rows, so a re-run gives identical rows and a
failure leaves what was loaded before untouched.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource

from contracts.schema import TableContract

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
