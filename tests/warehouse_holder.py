"""A second process holding a DuckDB warehouse file, as another writer or a read-only analyst session does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLD_FILE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[3] == "read_only")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@contextmanager
def held_by_another_process(path: Path, seconds: float, read_only: bool = False) -> Iterator[subprocess.Popen]:
    """Another process with `path` open (read-write by default: DuckDB's write lock) for about `seconds`."""
    mode = "read_only" if read_only else "read_write"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FILE, str(path), str(seconds), mode], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
