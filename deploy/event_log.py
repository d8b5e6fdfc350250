"""The instance's event log: Dagster's SQLite event log, with each process keeping its connections open.

Dagster's `SqliteEventLogStorage` creates an engine and opens a connection for every event it stores or
reads, and closes both after (NullPool); closing the last connection to a WAL database checkpoints it.
A single-run backfill stores about 40 events per day of history (a planned and a materialized event per
asset and partition, check results, logs), and that set-up and tear-down was two thirds of an event's
cost: a 30-day run stored 1,195 events, 477 of them before its first step, which took 7.2 s with
connections opened per event and 2.3 s with them kept (bench figure 2, profiled 2026-11-25). The whole
30-day single run, this storage against Dagster's (one run each, 2-core machine shared with other work,
2026-11-25): 44.5 -> 32.0 s wall, 42.9 -> 32.1 s CPU; orchestration overhead 57% -> 33%.

What changes: one engine per database file per process, kept (the index and the most recently used run
shards), so an event costs its inserts and a commit, and commits are not flushed to disk one by one
(synchronous=NORMAL, see `_configure_connection`). What stays as Dagster ships it: the files, schema and
WAL mode (so an existing `$DAGSTER_HOME` keeps working, and switching back is editing dagster.yaml), the
lock serialising a process's threads, and the webserver's live run view, which watches a run shard's
`.db` file for modification: a kept connection leaves new events in the `-wal` file, so a write to a run
shard touches the file. A shard whose file another process replaced
(`dagster run wipe`) is reopened.

Where: deploy/dagster.yaml names `KeptConnectionInstance` as the instance class, whose default storage is
Dagster's SQLite storage with this event log, in the directory of the instance being opened (Dagster tells
only an instance class that directory). An `event_log_storage:` entry cannot know it: the first version
used $DAGSTER_HOME/storage instead (not even Dagster's `history/runs/`), and `make` exports the
developer's $DAGSTER_HOME, so a process opening another instance by
its path (bench figure 5's waiter, `DagsterInstance.from_config(dir)`) read and wrote that instance's event
log, never saw `dagster dev`'s materializations, and put its own events in the developer's instance.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy
import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Run shards whose engines a process keeps: a run writes its own; the webserver reads a few at a time.
KEPT_RUN_SHARDS = 8
# What a checkpoint truncates the -wal file to (SQLite's default keeps it at its largest).
WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024


class KeptConnectionSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose connections outlive an event. Configured in deploy/dagster.yaml."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # Set before the parent's __init__, which may already reindex a new index shard through them.
        self._engines: OrderedDict[str, _KeptEngine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._inherited: list[OrderedDict[str, _KeptEngine]] = []
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionSqliteEventLogStorage:
        # Dagster's own builds a SqliteEventLogStorage whatever the class; base_dir is required, as for it.
        return cls(inst_data=inst_data, **config_value)

    def run_connection(self, run_id: str | None = None) -> Any:
        return self._kept_connection(run_id or "", watched=True)

    def index_connection(self) -> Any:
        return self._kept_connection(INDEX_SHARD_NAME, watched=False)

    @property
    def kept_engines(self) -> tuple[str, ...]:
        """The shards this process holds an engine for, least recently used first."""
        return tuple(self._engines)

    @contextmanager
    def _kept_connection(self, shard: str, watched: bool) -> Iterator[Connection]:
        # Dagster's reads release what they read (fetchall / fetchone / db_result), so a connection goes back
        # to the pool with no read snapshot open: the next use sees other processes' latest writes.
        with self._db_lock, self._engine(shard).connect() as conn:
            raw = conn.connection.dbapi_connection
            changes_before = raw.total_changes
            with conn.begin():
                yield conn
            if watched and raw.total_changes != changes_before:
                # The write went to the -wal file: the .db file's modification time is what tells the
                # webserver's watch that the run has news. (A checkpoint after each write, as first built,
                # changed the file only when no other connection was mid-read, and cost 0.7 ms an event.)
                os.utime(self.path_for_shard(shard))

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():
            # A forked child: the parent's connections are not this process's to use, nor to close.
            self._inherited.append(self._engines)
            self._engines, self._engines_pid = OrderedDict(), os.getpid()
        kept = self._engines.pop(shard, None)
        path = self.path_for_shard(shard)
        if kept is not None and kept.inode != _inode(path):
            # Another process wiped the instance (deleting the run shards): start on the new file.
            kept.engine.dispose()
            self._initialized_dbs.discard(shard)
            kept = None
        if kept is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                # One connection kept; creating a shard's schema briefly needs a second (closed after use).
                pool_size=1,
                max_overflow=2,
                # One thread at a time holds it (the lock above), but not always the same thread.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sqlalchemy.event.listen(engine, "connect", _configure_connection)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            kept = _KeptEngine(engine, _inode(path))
        self._engines[shard] = kept
        run_shards = [s for s in self._engines if s != INDEX_SHARD_NAME]
        for stale in run_shards[: max(0, len(run_shards) - KEPT_RUN_SHARDS)]:
            self._engines.pop(stale).engine.dispose()
        return kept.engine

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for kept in self._engines.values():
                kept.engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        # The run shards' files are deleted: a kept connection would keep writing to the deleted file.
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()  # first: it stops the watch thread, which could open an engine again
        self._dispose_engines()


class KeptConnectionSqliteStorage(DagsterSqliteStorage):
    """Dagster's default storage (runs, event log, schedules under the instance's directory), its event log
    kept-connection: the same directory Dagster's own would use, here by construction."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)
        shipped = self._event_log_storage
        self._event_log_storage = KeptConnectionSqliteEventLogStorage(shipped._base_dir)
        shipped.dispose()

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionSqliteStorage:
        # Dagster's own builds a DagsterSqliteStorage whatever the class.
        return cls.from_local(inst_data=inst_data, **config_value)


class KeptConnectionInstance(DagsterInstance):
    """The instance class deploy/dagster.yaml names: Dagster's, with `KeptConnectionSqliteStorage` as its
    default storage. Only an instance class is told the instance's directory (`config_defaults`), which is
    how the storage lands in the instance that was opened, whatever `$DAGSTER_HOME` says."""

    @classmethod
    def config_schema(cls) -> Mapping[str, Any]:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        storage = ConfigurableClassData(
            __name__, KeptConnectionSqliteStorage.__name__, yaml.dump({"base_dir": base_dir}, default_flow_style=False)
        )
        return {**InstanceRef.config_defaults(base_dir), "storage": storage}


@dataclass(frozen=True)
class _KeptEngine:
    engine: Engine
    inode: int | None
    """Of the database file when the engine was made: a different one means the file was replaced."""


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def _configure_connection(dbapi_connection: Any, _record: Any) -> None:
    # With connections kept open the -wal file is never deleted on close; cap what a checkpoint leaves.
    dbapi_connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
    # WAL with synchronous=NORMAL: a commit is not flushed to disk, the checkpoints are. An application crash
    # loses nothing; an OS crash or power cut may lose the last events written, and never corrupts the file.
    # Dagster's default (FULL) flushes every event: 3.8 -> 2.3 ms an event with the checkpoint above gone
    # (600 materialization events stored, medians of 3, 2026-11-25).
    dbapi_connection.execute("PRAGMA synchronous = NORMAL")
