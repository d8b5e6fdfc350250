"""The warehouse interface (Snowflake, BigQuery; DuckDB files locally) and what a raw load returns.

Raw loads are idempotent per partition: one transaction deletes the partition's rows and inserts its
validated, de-duplicated records, and replaces its quarantine rows, so a re-run gives identical rows and a
failure leaves what was loaded before untouched.

A partition is any time window (an hour, a day, ...): its rows carry the window in a lineage column that the
source declares (`PartitionColumn`: the shop's daily exports keep `_export_date DATE`, an hourly source
would use e.g. `_export_hour TIMESTAMPTZ`), and its quarantine rows carry the Dagster partition key as text
in `raw.quarantine.partition_key` (`2026-11-03`, `2026-11-03-07:00`). That column replaced the DATE column
`export_date` (same position; a daily key is the date's ISO text, so the shop's entries read the same);
the DuckDB warehouse renames and converts an older quarantine table in place on its next load.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
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
    ("partition_key", "VARCHAR"),
    ("source_key", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("reason", "VARCHAR"),
    ("raw_line", "VARCHAR"),
)

PARTITION_COLUMN_TYPES = ("DATE", "TIMESTAMPTZ")


@dataclass(frozen=True)
class PartitionColumn:
    """The lineage column of a raw table that holds each row's partition: its name and warehouse type.

    DATE holds the first day of the window (daily partitions), TIMESTAMPTZ its start instant (any window).
    """

    name: str
    type: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"_[a-z0-9_]+", self.name):
            raise ValueError(f"partition column {self.name!r}: a lineage column is lower case and starts with _")
        if self.type not in PARTITION_COLUMN_TYPES:
            raise ValueError(f"partition column {self.name}: type {self.type!r} not in {PARTITION_COLUMN_TYPES}")

    def value_at(self, window_start: datetime) -> date | datetime:
        """What the rows of the partition whose window starts at `window_start` carry in this column."""
        return window_start.date() if self.type == "DATE" else window_start


EXPORT_DATE = PartitionColumn("_export_date", "DATE")
"""The export day of a daily source: the column the shop's raw tables keep."""


@dataclass(frozen=True)
class RawPartition:
    """One partition of a raw table: its Dagster key and the value its rows carry in `column`."""

    key: str
    column: PartitionColumn
    value: date | datetime


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
    partition_key: str
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
    def load_raw_partition(
        self, contract: TableContract, partition: RawPartition, files: Sequence[RawFile]
    ) -> RawLoadResult:
        """Replace one partition of a raw table with the records of `files`, quarantining bad lines.

        A zero-byte file is an empty part (exporters write one for an empty result): no lines, no error.
        A non-empty file that cannot be read (not gzip, truncated) raises `UnreadableExportFile`."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a read-only query; `?` placeholders are bound to `params` by the engine itself (DuckDB's
        prepared statements, the Snowflake connector's qmark binding), never spliced into the text."""

    @abstractmethod
    def table_columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(name, type) of a table's columns in order; empty when the table does not exist."""

    @contextmanager
    def session(self) -> Iterator[None]:
        """Around a step's many calls (a range's partition loads, one output's stats after another): keep what
        each call would open and close. Nothing by default; each call stays as it would be on its own."""
        yield
