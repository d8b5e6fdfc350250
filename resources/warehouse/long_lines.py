"""A copy of an export file with every line over the loader's limit cut to its first bytes, so the rest loads.

DuckDB's line reader fails a whole file on a line longer than its max_line_size, and takes longer lines only
with a buffer larger than them, so a line over `MAX_LINE_BYTES` cannot be read as a line at all. Such a file
is copied once, in 1 MiB chunks with numpy finding the newlines (no Python step per line, no whole line in
memory beyond the limit); each overlong line keeps its first `KEPT_BYTES` in the copy, under the same line
number, and the loader quarantines it by that number (`validation_sql.TOO_LONG_REASON`).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np

CHUNK_BYTES = 1024 * 1024
KEPT_BYTES = 1024
"""What the quarantine keeps of an overlong line (its raw_line): enough to recognise the record."""


def copy_cutting_overlong_lines(source: Path, gzipped: bool, target: Path, longest_line: int) -> tuple[int, ...]:
    """Copy `source` (decompressed) to `target` with each line over `longest_line` bytes cut to its first
    `KEPT_BYTES`; return the cut lines' numbers (1-based). Line lengths exclude the newline, as DuckDB's do."""
    opener = gzip.open if gzipped else open
    with opener(source, "rb") as reading, open(target, "wb") as writing:
        cutter = _LineCutter(writing.write, longest_line)
        while chunk := reading.read(CHUNK_BYTES):
            cutter.feed(chunk)
        cutter.finish()
    return tuple(cutter.cut)


def _kept(start: bytes) -> bytes:
    """The first bytes of a cut line, ending on a whole UTF-8 character so that the copy stays text."""
    return start[:KEPT_BYTES].decode("utf-8", errors="ignore").encode("utf-8")


class _LineCutter:
    """Writes what it is fed, cutting lines over `longest_line` bytes; `cut` lists their numbers."""

    def __init__(self, write: Callable[[bytes], object], longest_line: int) -> None:
        self.write = write
        self.longest_line = longest_line
        self.cut: list[int] = []
        self.line_number = 1  # of the line being read, which `pending` holds the start of
        self.pending = bytearray()  # the current line while it may still fit; its first bytes once it cannot
        self.pending_length = 0
        self.overlong = False

    def feed(self, chunk: bytes) -> None:
        newlines = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A)
        if not len(newlines):
            self._extend(chunk)
            return
        first, last = int(newlines[0]), int(newlines[-1])
        self._extend(chunk[:first])
        self._end_line()
        # The whole lines between the chunk's first and last newline, written as one slice but for cut ones.
        lengths = np.diff(newlines) - 1
        start = first + 1
        for i in np.flatnonzero(lengths > self.longest_line):
            line_start, line_end = int(newlines[i]) + 1, int(newlines[i + 1])
            self.write(chunk[start:line_start])
            self.write(_kept(chunk[line_start : min(line_end, line_start + KEPT_BYTES)]) + b"\n")
            self.cut.append(self.line_number + int(i))
            start = line_end + 1
        self.write(chunk[start : last + 1])
        self.line_number += len(lengths)
        self._extend(chunk[last + 1 :])

    def finish(self) -> None:
        """The last line, if the file does not end with a newline."""
        if self.pending_length:
            self._end_line()

    def _extend(self, part: bytes) -> None:
        self.pending_length += len(part)
        if self.overlong:
            self.pending += part[: max(0, KEPT_BYTES - len(self.pending))]
            return
        self.pending += part
        if self.pending_length > self.longest_line:
            self.overlong = True
            del self.pending[KEPT_BYTES:]

    def _end_line(self) -> None:
        if self.overlong:
            self.write(_kept(bytes(self.pending)) + b"\n")
            self.cut.append(self.line_number)
        else:
            self.write(bytes(self.pending) + b"\n")
        self.line_number += 1
        self.pending, self.pending_length, self.overlong = bytearray(), 0, False
