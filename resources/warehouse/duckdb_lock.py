"""A DuckDB file's write lock: DuckDB's lock-conflict error told apart from every other, and a bounded, logged
wait for the lock before a process that cannot wait by itself (dbt) opens the file.

DuckDB lets one process open a file for writing, or any number for reading only; any other open fails at
once with `IO Error: Could not set lock on file "<path>": Conflicting lock is held in <program> (PID <n>)`.
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

_LOCK_CONFLICT = re.compile(
    r'^IO Error: Could not set lock on file "(?P<path>.+?)": Conflicting lock is held in (?P<program>.+?) '
    r"\(PID (?P<pid>\d+)\)"
)
# How often a wait says it is still waiting.
WAIT_REPORT_SECONDS = 30.0
_LOG = logging.getLogger("cumulus.warehouse")


@dataclass(frozen=True)
class LockHolder:
    """The process DuckDB named as holding a file's lock."""

    program: str
    pid: int

    def __str__(self) -> str:
        return f"{_command_line(self.pid) or self.program} (PID {self.pid})"


def lock_holder(error: BaseException) -> LockHolder | None:
    """Who holds the lock, if `error` is DuckDB's lock conflict; None for any other error."""
    if not isinstance(error, duckdb.IOException):
        return None
    found = _LOCK_CONFLICT.match(str(error))
    return LockHolder(found["program"], int(found["pid"])) if found else None


class WarehouseLockTimeout(TimeoutError):
    pass


class LockWait:
    """A bounded wait on another process's lock: jittered backoff while DuckDB reports a lock conflict,
    saying who holds it now and then; any other error, or the end of the budget, is raised."""

    def __init__(
        self, path: str | Path, timeout_seconds: float, log: logging.Logger | logging.LoggerAdapter | None = None
    ) -> None:
        self.path, self.timeout_seconds, self.log = path, timeout_seconds, log or _LOG
        self.began = time.monotonic()
        self.reported_at: float | None = None
        self.delay = 0.05

    def after(self, error: BaseException) -> None:
        """Sleep before the next attempt if `error` is a lock conflict within the budget; raise otherwise."""
        holder = lock_holder(error)
        if holder is None:
            raise error
        waited = time.monotonic() - self.began
        if waited > self.timeout_seconds:
            raise WarehouseLockTimeout(
                f"the warehouse {self.path} stayed locked by {holder} for {waited:.0f} s; close that process "
                "(a read-only session also blocks writers) and re-run"
            ) from error
        if self.reported_at is None or waited - self.reported_at >= WAIT_REPORT_SECONDS:
            self.log.info(f"waiting for the warehouse lock held by {holder} on {self.path} ({waited:.0f} s so far)")
            self.reported_at = waited
        time.sleep(self.delay * (1 + random.random()))
        self.delay = min(self.delay * 2, 1.0)

    def done(self) -> None:
        if self.reported_at is not None:
            self.log.info(f"got the warehouse lock on {self.path} after {time.monotonic() - self.began:.1f} s")


def wait_for_write_lock(path: Path, timeout_seconds: float, log: logging.Logger | logging.LoggerAdapter) -> None:
    """Return once no other process holds `path` (it is opened for writing and closed again at once),
    logging who holds it while waiting; raise WarehouseLockTimeout after `timeout_seconds`."""
    if not path.exists():
        return  # nobody can hold a file that is not there yet
    wait = LockWait(path, timeout_seconds, log)
    while True:
        try:
            duckdb.connect(str(path)).close()
        except duckdb.Error as error:
            wait.after(error)
            continue
        wait.done()
        return


def _command_line(pid: int) -> str:
    """The holder's command line, when this process may read it (Linux)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(raw.decode(errors="replace").replace("\0", " ").split())[:200]
