"""The instance's event log (deploy/event_log.py): Dagster's SQLite event log with kept connections behaves
as Dagster's own does — what one process writes another reads at once, the webserver's live view is told
of new events, failed partitions are still reported, forked children and wiped instances keep working."""

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._core.storage.event_log import SqliteEventLogStorage

from cli.runs import materialize_range
from deploy.event_log import KEPT_RUN_SHARDS, KeptConnectionSqliteEventLogStorage
from resources.settings import REPO_ROOT


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch) -> Path:
    """A Dagster home configured as `make dev` configures it (deploy/dagster.yaml copied in)."""
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(dagster_home: Path):
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        yield instance


def log_line(run_id: str, message: str) -> dg.EventLogEntry:
    return dg.EventLogEntry(
        error_info=None,
        level="INFO",
        user_message=message,
        run_id=run_id,
        timestamp=1_700_000_000.0,
        step_key=None,
        job_name="job",
        dagster_event=None,
    )


def messages(storage, run_id: str) -> list[str]:
    return [record.event_log_entry.user_message for record in storage.get_records_for_run(run_id).records]


def test_the_shipped_instance_uses_it_in_dagsters_own_place(dagster_home, tmp_path, monkeypatch):
    """In the directory of the instance opened, whatever $DAGSTER_HOME says (make exports the developer's),
    and where Dagster's default SQLite event log lives, so an existing instance keeps its history."""
    monkeypatch.delenv("DAGSTER_HOME")
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionSqliteEventLogStorage)
        storage.store_event(log_line("run-a", "hello"))
        kept_dir = Path(storage.path_for_shard("run-a")).parent
    assert (kept_dir / "run-a.db").exists() and (kept_dir / "index.db").exists()
    dagsters_home = tmp_path / "dagsters-own"
    dagsters_home.mkdir()
    (dagsters_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(dagsters_home)) as dagsters:
        assert type(dagsters.event_log_storage) is SqliteEventLogStorage
        dagsters_dir = Path(dagsters.event_log_storage.path_for_shard("run-a")).parent
    assert kept_dir.relative_to(dagster_home) == dagsters_dir.relative_to(dagsters_home)


def test_what_one_process_writes_another_reads_at_once(dagster_home):
    writer = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    reader = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    for n in range(3):
        writer.store_event(log_line("run-a", f"event {n}"))
        assert messages(reader, "run-a") == [f"event {i}" for i in range(n + 1)]
    writer.dispose()
    reader.dispose()


def test_the_live_run_view_is_told_of_each_new_event(dagster_home):
    """The webserver follows a running run by watching its shard's `.db` file; kept connections must
    still touch it when they write, or the run page would freeze until a checkpoint."""
    writer = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    watcher = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    writer.store_event(log_line("run-a", "before the watch"))
    seen, arrived = [], threading.Event()

    def callback(entry, cursor):
        seen.append(entry.user_message)
        arrived.set()

    watcher.watch("run-a", None, callback)
    try:
        writer.store_event(log_line("run-a", "while watched"))
        assert arrived.wait(timeout=10), "the watch was not told of the new event"
        assert "while watched" in seen
    finally:
        watcher.end_watch("run-a", callback)
        watcher.dispose()
        writer.dispose()


def test_the_live_run_view_is_told_even_while_another_process_reads_the_run(dagster_home):
    """A checkpoint copies nothing while another connection is mid-read, so it could not be what tells the
    watch; the write touches the file itself."""
    writer = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    watcher = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    for n in range(3):
        writer.store_event(log_line("run-a", f"before {n}"))
    reader = sqlite3.connect(dagster_home / "storage" / "run-a.db")
    reading = reader.execute("SELECT id FROM event_logs")
    reading.fetchone()  # a read in progress: its snapshot pins the database file
    arrived = threading.Event()
    watcher.watch("run-a", None, lambda entry, cursor: entry.user_message == "last" and arrived.set())
    try:
        writer.store_event(log_line("run-a", "last"))
        assert arrived.wait(timeout=10), "the watch was not told of the run's last event"
    finally:
        reader.close()
        watcher.dispose()
        writer.dispose()


def test_a_process_keeps_a_bounded_number_of_run_shards_open(dagster_home):
    storage = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    for n in range(KEPT_RUN_SHARDS + 5):
        storage.store_event(log_line(f"run-{n}", "x"))
    kept_runs = [s for s in storage.kept_engines if s != "index"]
    assert kept_runs == [f"run-{n}" for n in range(5, KEPT_RUN_SHARDS + 5)]
    # A run whose engine was let go is reopened when it is read again.
    assert messages(storage, "run-0") == ["x"]
    storage.dispose()


def _store_in_child(storage: KeptConnectionSqliteEventLogStorage) -> None:
    storage.store_event(log_line("run-a", "from the child"))


def test_a_forked_child_opens_its_own_connections(dagster_home):
    storage = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    storage.store_event(log_line("run-a", "from the parent"))
    child = multiprocessing.get_context("fork").Process(target=_store_in_child, args=(storage,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    storage.store_event(log_line("run-a", "parent again"))
    assert messages(storage, "run-a") == ["from the parent", "from the child", "parent again"]
    storage.dispose()


def test_a_wiped_instance_starts_again_empty(dagster_home):
    storage = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    storage.store_event(log_line("run-a", "old"))
    storage.wipe()
    assert messages(storage, "run-a") == []
    storage.store_event(log_line("run-a", "new"))
    assert messages(storage, "run-a") == ["new"]
    storage.dispose()


def test_an_instance_wiped_by_another_process_is_written_afresh(dagster_home):
    running = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    running.store_event(log_line("run-a", "old"))
    wiping = KeptConnectionSqliteEventLogStorage(str(dagster_home / "storage"))
    wiping.wipe()  # `dagster run wipe` in another process deletes the run shards' files
    running.store_event(log_line("run-a", "new"))
    assert messages(wiping, "run-a") == ["new"]
    assert messages(running, "run-a") == ["new"]
    running.dispose()
    wiping.dispose()


DAYS = dg.DailyPartitionsDefinition(start_date="2026-11-01", end_date="2026-11-04")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def days_asset(context: dg.AssetExecutionContext) -> None:
    if context.partition_key_range.end == "2026-11-03":
        raise RuntimeError("this range fails")


def test_partitions_of_a_range_run_are_reported_materialized_or_failed(instance):
    """What the asset's partitions view shows after single-run backfills, one succeeding, one failing."""
    defs = dg.Definitions(assets=[days_asset])
    assert materialize_range(defs, instance, [days_asset.key], "2026-11-01", "2026-11-02").success
    assert not materialize_range(defs, instance, [days_asset.key], "2026-11-02", "2026-11-03", False).success
    key = days_asset.key
    assert instance.get_materialized_partitions(key) == {"2026-11-01", "2026-11-02"}
    status = instance.get_status_by_partition(key, ["2026-11-01", "2026-11-02", "2026-11-03"], DAYS)
    assert status == {
        "2026-11-01": dg.AssetPartitionStatus.MATERIALIZED,
        "2026-11-02": dg.AssetPartitionStatus.FAILED,
        "2026-11-03": dg.AssetPartitionStatus.FAILED,
    }


@dg.asset(partitions_def=DAYS)
def daily_kpi() -> None:
    pass


# Another process's run, as `dagster dev`'s run workers make them: its own instance, from $DAGSTER_HOME.
MATERIALIZE_IN_ANOTHER_PROCESS = """
import sys
import dagster as dg
from tests.test_event_log import daily_kpi
with dg.DagsterInstance.get() as instance:
    assert dg.materialize([daily_kpi], partition_key=sys.argv[1], instance=instance).success
"""


def test_a_process_holding_the_instance_sees_the_materializations_of_other_processes(dagster_home, tmp_path):
    """Figure 5's waiter (bench/file_to_kpi.py), with the same calls between polls: it opens the instance by
    its directory while `make` has exported DAGSTER_HOME as another instance (the developer's own), writes
    history in-process, then polls while another process's run materializes each next day."""
    made_home = tmp_path / "make-dagster-home"
    made_home.mkdir()
    waiter_env = {**os.environ, "DAGSTER_HOME": str(made_home)}
    run_env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(REPO_ROOT)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", waiter_env)
        instance = dg.DagsterInstance.from_config(str(dagster_home))
    with instance:
        assert dg.materialize([daily_kpi], partition_key="2026-11-01", instance=instance).success
        for day in ("2026-11-02", "2026-11-03"):
            earlier_runs = {r.dagster_run.run_id for r in instance.get_run_records()}
            landed = time.time()
            run = subprocess.Popen([sys.executable, "-c", MATERIALIZE_IN_ANOTHER_PROCESS, day], env=run_env)
            deadline = None
            while deadline is None or time.monotonic() < deadline:
                if deadline is None and run.poll() is not None:
                    assert run.returncode == 0, "the other process's run failed"
                    deadline = time.monotonic() + 5.0  # seen within seconds of the run's end
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=daily_kpi.key, asset_partitions=[day], after_timestamp=landed),
                    limit=1,
                ).records
                if records:
                    break
                failed = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
                assert not [r for r in failed if r.run_id not in earlier_runs]
                time.sleep(0.2)
            else:
                pytest.fail(f"the waiter never saw {day} materialized by the other process")
            run.wait()
            chain = [r for r in instance.get_run_records() if r.dagster_run.run_id not in earlier_runs]
            assert len(chain) == 1 and chain[0].dagster_run.is_success
            assert not instance.get_runs(dg.RunsFilter(statuses=NOT_FINISHED_STATUSES))
