"""Validation of a partition's raw files against their contract, run in DuckDB for every warehouse.

The local warehouse runs it in its own file; the cloud ones in an in-memory DuckDB before shipping the
outcome, so quarantine reasons, duplicates and the winning versions cannot differ between the lanes.

A zero-byte file is an empty part, whatever its name: exporters write one for an empty result, so it is read
as empty text (0 lines, no error). A non-empty `.gz` that is not gzip or is cut short is unreadable and
fails its partition naming the file (`UnreadableExportFile`).
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from contracts.schema import MAX_LINE_BYTES, TableContract
from resources.warehouse import line_reader
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import RawFile, RawLoadResult, RawPartition, UnreadableExportFile
from resources.warehouse.long_lines import copy_cutting_overlong_lines

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
        self,
        contract: TableContract,
        partition: RawPartition,
        files: Sequence[RawFile],
        rows_loaded: int,
        quarantined: int,
    ) -> RawLoadResult:
        return RawLoadResult(
            table=contract.name,
            partition_key=partition.key,
            files=tuple(f.key for f in files),
            lines_read=self.lines_read,
            rows_loaded=rows_loaded,
            quarantined=quarantined,
            duplicates_dropped=self.lines_read - rows_loaded - quarantined,
            quarantine_reasons=self.quarantine_reasons,
            unknown_fields=self.unknown_fields,
        )


# Files per validating statement: their readers' buffers are held from the statement's start, so this
# bounds that memory (8 x 4 MiB) however many files a partition has, and 8 keeps both cores busy.
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
    con: duckdb.DuckDBPyConnection,
    contract: TableContract,
    into: str,
    files: Sequence[RawFile],
    indices: Sequence[int],
    reader: line_reader.LineReader = line_reader.USUAL_LINES,
) -> None:
    try:
        sql = rv.validated_lines_sql(contract, indices, reader)
        con.execute(f"{into} {sql}", _file_parameters(files, indices))
    except duckdb.Error as error:
        if line_reader.is_line_too_long(error):
            for n, index in enumerate(indices):
                _validate_long_lines(con, contract, into if n == 0 else "INSERT INTO _validated", files, index)
            return
        for index in indices:
            _raise_if_unreadable(con, files, index)
        raise
    if reader.parallel:
        for index in _read_incompletely(con, files, indices):
            con.execute("DELETE FROM _validated WHERE source_index = $index", {"index": index})
            one_thread = line_reader.USUAL_LINES_ONE_THREAD
            _validate_some(con, contract, "INSERT INTO _validated", files, [index], one_thread)


def _read_incompletely(con: duckdb.DuckDBPyConnection, files: Sequence[RawFile], indices: Sequence[int]) -> list[int]:
    """The files of `indices` whose lines in `_validated` are not proven to be all of the file's lines."""
    bytes_read = dict(
        con.execute(
            "SELECT source_index, sum(line_bytes) + count(*) FROM _validated "
            "WHERE source_index BETWEEN $first AND $last GROUP BY source_index",
            {"first": min(indices), "last": max(indices)},
        ).fetchall()
    )
    return [
        index
        for index in indices
        if not line_reader.read_completely(files[index].path, _is_gzip(files[index]), bytes_read.get(index, 0))
    ]


def _validate_long_lines(
    con: duckdb.DuckDBPyConnection, contract: TableContract, into: str, files: Sequence[RawFile], index: int
) -> None:
    """Validate one file whose lines may be longer than the usual reader's 2 MiB, up to `MAX_LINE_BYTES`.

    One file at a time, since this reader's buffer must exceed the limit; a file with a line over the limit
    is read from a copy with that line cut (long_lines.py), and the line is quarantined, never the file.
    """
    parameters = _file_parameters(files, [index])
    try:
        con.execute(f"{into} {rv.validated_lines_sql(contract, [index], line_reader.LONG_LINES)}", parameters)
        return
    except duckdb.Error as error:
        if not line_reader.is_line_too_long(error):
            _raise_if_unreadable(con, files, index, line_reader.LONG_LINES)
            raise
    with tempfile.TemporaryDirectory(prefix="cumulus-long-lines-") as folder:
        copy = Path(folder) / "lines.jsonl"
        gzipped = parameters[f"compression_{index}"] == "gzip"
        try:
            cut = copy_cutting_overlong_lines(files[index].path, gzipped, copy, MAX_LINE_BYTES)
        except (OSError, EOFError, zlib.error) as error:
            raise UnreadableExportFile(files[index].key, str(error)) from error
        parameters = {f"path_{index}": str(copy), f"compression_{index}": "none"}
        sql = rv.validated_lines_sql(contract, [index], line_reader.LONG_LINES, {index: cut})
        con.execute(f"{into} {sql}", parameters)


def _file_parameters(files: Sequence[RawFile], indices: Sequence[int]) -> dict[str, str]:
    """The parameters of `line_reader.read_lines_sql(indices)`."""
    parameters = {}
    for index in indices:
        parameters[f"path_{index}"] = str(files[index].path)
        parameters[f"compression_{index}"] = "gzip" if _is_gzip(files[index]) else "none"
    return parameters


def _is_gzip(file: RawFile) -> bool:
    """A `.gz` with content: a zero-byte part is read as the empty text it stands for."""
    return file.key.endswith(".gz") and file.path.stat().st_size > 0


def _raise_if_unreadable(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[RawFile],
    index: int,
    reader: line_reader.LineReader = line_reader.USUAL_LINES,
) -> None:
    """Read one file alone; raise `UnreadableExportFile` if it cannot be read."""
    try:
        sql = f"SELECT count(*) FROM ({line_reader.read_lines_sql([index], reader)})"
        con.execute(sql, _file_parameters(files, [index])).fetchone()
    except duckdb.Error as error:
        raise UnreadableExportFile(files[index].key, str(error).splitlines()[0]) from error
