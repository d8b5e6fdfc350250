"""How the loader reads an export file's lines in DuckDB: every physical line whole, numbered in file order.

One column per line: \\x01 never occurs unescaped in valid JSON, and quoting is off, so every physical line
arrives whole. row_number() OVER () with nothing to partition or order by is DuckDB's streaming window: it
numbers lines in file order without holding them, so each file gets its own branch of a UNION ALL and the
branches run in parallel (with preserve_insertion_order off, see validation.validate_files).

Each branch's reader holds its buffer from the statement's start: with the default 32 MB, one statement over
the 20 files of a 20M-line day ran out of the warehouse's 1 GB, so the usual reader has 4 MiB and takes lines
up to 2 MiB. A longer line fails the statement (`is_line_too_long`), and the loader reads each of its files
again alone with `LONG_LINES`, whose buffer must exceed its longest line.

DuckDB's parallel reader drops a last line longer than its buffer without an error (and fails such a line
elsewhere with "does not support a full read"); the single-threaded one (parallel=false) reports every line
over max_line_size. The usual reader stays parallel, which spreads a statement's files over both cores
(5 files: 3.50 -> 2.93 s for the validating statement, medians of 3), and the loader proves that no line was
dropped: a file's lines, each with its newline, must add up to its decompressed size (`read_completely`).
A file that does not (a dropped line, but also CRLF line ends or a byte-order mark) is read again with the
single-threaded reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from contracts.schema import MAX_LINE_BYTES

_READ_OPTIONS = (
    "columns={'line': 'VARCHAR'}, delim='\\x01', quote='', escape='', header=false, auto_detect=false, "
    "null_padding=true, strict_mode=false"
)
_LINE_TOO_LONG = re.compile(r"^Maximum line size of \d+ bytes exceeded\.", re.MULTILINE)
_LINE_OVER_THE_BUFFER = "does not support a full read"


@dataclass(frozen=True)
class LineReader:
    """How DuckDB's line reader is sized: it takes lines of up to `longest_line` bytes (without the newline)."""

    longest_line: int
    buffer_size: int
    parallel: bool

    def __post_init__(self) -> None:
        if self.buffer_size <= self.longest_line + 1:
            raise ValueError("DuckDB's line reader needs a buffer larger than its max_line_size")

    def options(self) -> str:
        # DuckDB's max_line_size is exclusive: a line of exactly that many bytes fails.
        size = f"buffer_size={self.buffer_size}, max_line_size={self.longest_line + 1}"
        return f"{_READ_OPTIONS}, parallel={str(self.parallel).lower()}, {size}"


USUAL_LINES = LineReader(longest_line=2 * 1024 * 1024 - 1, buffer_size=4 * 1024 * 1024, parallel=True)
USUAL_LINES_ONE_THREAD = replace(USUAL_LINES, parallel=False)
LONG_LINES = LineReader(longest_line=MAX_LINE_BYTES, buffer_size=MAX_LINE_BYTES + 4 * 1024 * 1024, parallel=False)


def is_line_too_long(error: duckdb.Error) -> bool:
    """Whether DuckDB's line reader failed on a line longer than its max_line_size (or its parallel buffer)."""
    if isinstance(error, duckdb.NotImplementedException):
        return _LINE_OVER_THE_BUFFER in str(error)
    return isinstance(error, duckdb.InvalidInputException) and bool(_LINE_TOO_LONG.search(str(error)))


def _read_lines(index: int, reader: LineReader) -> str:
    return (
        f"SELECT CAST({index} AS INTEGER) AS source_index, row_number() OVER () AS line_no, line "
        f"FROM read_csv($path_{index}, compression=$compression_{index}, {reader.options()})"
    )


def read_lines_sql(indices: Sequence[int], reader: LineReader = USUAL_LINES) -> str:
    """Every line of the files `indices` (parameters $path_<i>, $compression_<i>) as (source_index, line_no, line)."""
    return "\n    UNION ALL ".join(_read_lines(i, reader) for i in indices)


LINE_BYTES = "coalesce(strlen(line), 0)"
"""SQL: a line's length in bytes as read, without its newline (an empty line is read as NULL)."""

_SIZE_MODULUS = 2**32  # a gzip member's trailer holds its decompressed size modulo 2^32


def read_completely(path: Path, gzipped: bool, bytes_read: int) -> bool:
    """Whether lines adding up to `bytes_read` bytes (each line's `LINE_BYTES` plus its newline) are the whole
    decompressed file. The last line may lack its newline. A gzip file of several members holds only the last
    one's size: such a file is not proven complete, and is read again."""
    if gzipped:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - 4))
            size = int.from_bytes(file.read(4), "little")
    else:
        size = path.stat().st_size
    return bytes_read % _SIZE_MODULUS in (size % _SIZE_MODULUS, (size + 1) % _SIZE_MODULUS)
