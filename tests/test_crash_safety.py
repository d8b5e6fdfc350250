"""dbt steps against what a shared machine does to them: another process holding the warehouse file, and the
run worker killed (`kill -9`, the OOM killer) in the middle of `dbt build`. Real dbt on a day of real raw
tables; the killed worker is `dagster asset materialize` on an instance configured as `make dev`'s."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import freeze_time
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.daemon import MonitoringDaemon

from assets.kpi.keys import raw_table_key
from contracts.shop import SHOP_TABLES
from devtools.dagster_server import INSTANCE_CONFIG
from devtools.emulators import venv_executable
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import DBT_EXECUTABLE, REPO_ROOT
from tests.conftest import Lane
from tests.warehouse_holder import held_by_another_process

DAY = date(2026, 11, 2)
STAGING = [dg.AssetKey(["snowflake", "staging", name]) for name in ("stg_customers", "stg_orders")]
WAREHOUSE_POOL = "snowflake_warehouse"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lane(tmp_path_factory) -> Iterator[Lane]:
    """A home whose warehouse holds a day of raw tables."""
    lane = Lane.local(tmp_path_factory.mktemp("home"))
    generate_shop_exports(lane.lake, DAY, 1, ShopConfig(orders_per_day=40))
    lane.run_days(DAY, keys=[raw_table_key(contract.name) for contract in SHOP_TABLES])
    yield lane
    lane.instance.dispose()


def test_a_dbt_step_waits_for_the_warehouse_lock_another_process_holds_and_says_so(lane):
    with held_by_another_process(lane.settings.warehouse_path, seconds=6) as holder:
        began = time.monotonic()
        result = lane.run_days(DAY, keys=STAGING)
        waited = time.monotonic() - began
        assert holder.poll() == 0  # it let go on its own, while the step waited
    assert result.success and waited > 5
    messages = [entry.user_message for entry in lane.instance.all_logs(result.run_id)]
    assert any("waiting for the warehouse lock held by" in m and f"(PID {holder.pid})" in m for m in messages)
    assert any(m.startswith("got the warehouse lock") for m in messages)


def processes() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process this user may read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found[int(entry.name)] = (int(fields[1]), fields[0], command)
    return found


def wait_for_dbt_child(worker: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the run worker exited with {worker.returncode} before starting dbt"
        for pid, (parent, _, command) in processes().items():
            if parent == worker.pid and str(DBT_EXECUTABLE) in command:
                return pid
        time.sleep(0.2)
    raise TimeoutError(f"no dbt process under the run worker within {timeout:.0f} s")


def is_running(pid: int) -> bool:
    found = processes().get(pid)
    return found is not None and found[1] != "Z"  # a zombie has exited (it only waits to be reaped)


def claimed_by(instance: dg.DagsterInstance, run_id: str) -> list:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return [slot for slot in info.claimed_slots if slot.run_id == run_id]


def test_a_killed_run_worker_leaves_no_dbt_running_and_its_pool_slot_comes_back(lane, tmp_path):
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copyfile(INSTANCE_CONFIG, dagster_home / "dagster.yaml")
    env = {**os.environ, "CUMULUS_HOME": str(lane.settings.home), "DAGSTER_HOME": str(dagster_home)}
    env["PYTHONPATH"] = str(REPO_ROOT)
    selection = " or ".join(f"key:{key.to_user_string()}" for key in STAGING)
    argv = [venv_executable("dagster"), "asset", "materialize", "-f", "definitions.py", "--select", selection]
    worker = subprocess.Popen(
        [*argv, "--partition", DAY.isoformat()],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        dbt = wait_for_dbt_child(worker, timeout=180)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 5
        while is_running(dbt) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not is_running(dbt), "dbt kept running after its run worker was killed"
    finally:
        with suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs()
        assert claimed_by(instance, run.run_id), "the killed run held no warehouse slot: nothing tested"
        instance.report_run_failed(run)  # what the code server does when a run's process died
        assert claimed_by(instance, run.run_id)  # a failed run does not give its slot back by itself
        settings = instance.run_monitoring_settings
        monitoring = MonitoringDaemon(interval_seconds=settings["poll_interval_seconds"])
        one_pass_later = time.time() + settings["free_slots_after_run_end_seconds"] + settings["poll_interval_seconds"]
        with WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as workspace, freeze_time(one_pass_later):
            list(monitoring.run_iteration(workspace))
        assert claimed_by(instance, run.run_id) == []
