"""Validation of a partition's raw files against their contract, run in DuckDB for every warehouse.

The local warehouse runs it in its own file; the cloud ones in an in-memory DuckDB before shipping the
outcome, so quarantine reasons, duplicates and the winning versions cannot differ between the lanes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from contracts.schema import TableContract
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import RawFile, RawLoadResult, UnreadableExportFile

# DuckDB's memory for a load, beyond which it spills to disk, so a load's memory stays flat as a day grows.
# Measured 2026-11-25 loading one day of order lines (peak RSS of the loading process, wall time):
#   1 GB: 5M lines 757-815 MB, 20M 1,148-1,192 MB (the cap not yet reached at 5M: memory grew with the day);
#   500 MB: 5M 619-650 MB, 20M 670-736 MB. The cost, in bench figure 1 (medians of 3, in the asset):
#   ~10% more time at 5M and 20M (5.9 -> 6.5 s, 25.3 -> 28.7 s); flat memory is the goal that was missed.
LOAD_MEMORY_LIMIT = "500MB"


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
