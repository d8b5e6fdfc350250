"""`make dev`'s server for the browser tests: the real `dagster dev` over workspace.yaml, on a free port
of 127.0.0.1, with its own CUMULUS_HOME and DAGSTER_HOME (deploy/dagster.yaml copied in), stopped with its
whole process tree (webserver, daemon, code server, run workers) when the test ends, even on failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from dagster import DagsterInstance
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.remote_representation.code_location import InProcessCodeLocation
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from devtools.emulators import HOST, free_port, venv_executable, wait_until_answering
from devtools.process_group import restore_interrupts, stop_process_group
from resources.settings import REPO_ROOT

WORKSPACE = REPO_ROOT / "workspace.yaml"
INSTANCE_CONFIG = REPO_ROOT / "deploy" / "dagster.yaml"
# Measured: the UI answers /server_info ~4-9 s after start and the code location loads a few seconds
# later; on a 2-core machine shared with other work it can take several times that.
STARTUP_TIMEOUT = 180.0
# Measured: every process of the tree gone 10 s after SIGTERM, idle; runs in flight are interrupted first.
SHUTDOWN_TIMEOUT = 60.0


class DagsterDevError(RuntimeError):
    pass


def instance_environment(cumulus_home: Path) -> dict[str, str]:
    """The variables `make dev` exports, pointed at `cumulus_home` (state) and its `dagster/` (instance)."""
    dagster_home = cumulus_home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_CONFIG, dagster_home / "dagster.yaml")
    return {
        **os.environ,
        "CUMULUS_HOME": str(cumulus_home),
        "DAGSTER_HOME": str(dagster_home),
        "PYTHONPATH": str(REPO_ROOT),
        "DO_NOT_TRACK": "1",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "NO_GCE_CHECK": "true",
    }


def stop_sensors(instance: DagsterInstance, names: Sequence[str]) -> None:
    """Record the sensors as stopped in the instance before the server starts, as `dagster sensor stop`
    does, so its daemon never ticks them.

    The daemon and the UI find a sensor's state by its selector (location, repository and sensor name),
    so loading the workspace's definitions in this process gives the same state as the CLI, in ~2 s
    instead of the CLI's ~10 s (~100 s on a busy 2-core machine): it starts a code server per call.
    """
    location_name = yaml.safe_load(WORKSPACE.read_text())["load_from"][0]["python_file"]["location_name"]
    target = LoadableTargetOrigin(
        executable_path=sys.executable, python_file=str(REPO_ROOT / "definitions.py"), working_directory=str(REPO_ROOT)
    )
    origin = InProcessCodeLocationOrigin(target, location_name=location_name)
    with InProcessCodeLocation(origin, instance) as location:
        (repository,) = location.get_repositories().values()
        for name in names:
            sensor = repository.get_sensor(name)
            instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 30.0) -> dict:
    """One query against the server's GraphQL endpoint (the tests use it to wait, to read, and to mark the
    newsletter prompt seen)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:  # a malformed query: the body says which field
        raise DagsterDevError(f"GraphQL HTTP {error.code}: {error.read().decode(errors='replace')[:2000]}") from error
    if answer.get("errors"):
        raise DagsterDevError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def wait_until_loaded(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Wait until every code location of the workspace has loaded (the asset graph is empty before)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise DagsterDevError(f"dagster dev exited with {process.returncode}; see {log}")
        entries = graphql(url, LOCATIONS)["workspaceOrError"].get("locationEntries", [])
        errors = [
            e for e in entries if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError"
        ]
        if errors:
            raise DagsterDevError(f"code location failed to load: {errors[0]['locationOrLoadError']['message']}")
        if entries and all(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries):
            return
        if time.monotonic() > deadline:
            raise DagsterDevError(f"code locations not loaded within {timeout:.0f} s: {entries}; see {log}")
        time.sleep(0.5)


RUNS = """query($filter: RunsFilter) { runsOrError(filter: $filter) { __typename
    ... on Runs { results { runId status tags { key value } } } } }"""
BACKFILLS = "{ partitionBackfillsOrError(limit: 1) { ... on PartitionBackfills { results { id } } } }"
BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
    ... on PartitionBackfill { status assetBackfillData { assetBackfillStatuses {
        ... on AssetPartitionsStatusCounts { assetKey { path } numPartitionsTargeted numPartitionsMaterialized
                                             numPartitionsFailed }
        ... on UnpartitionedAssetStatus { assetKey { path } materialized failed } } } } } }"""
SENSORS = (
    """{ repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name sensorState { status } } } } } }"""
)
FAILED_RUN = {"FAILURE", "CANCELED", "CANCELING"}
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class DagsterDev:
    """A running `dagster dev`; its GraphQL API is used here to wait for runs, never to launch them."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.url, query, variables)

    def mark_community_prompt_seen(self) -> None:
        """A fresh instance greets its first visitor on 127.0.0.1 with a newsletter dialog, 1 s after a
        page loads, over whatever is being typed (keystrokes are not locator actions, so a Playwright
        locator handler does not catch it first: the last CI run typed its asset filter into the dialog).
        The UI's own "seen" mutation keeps it away for every page of this instance."""
        assert self.graphql("mutation { setNuxSeen }")["setNuxSeen"]

    def sensor_statuses(self) -> dict[str, str]:
        repositories = self.graphql(SENSORS)["repositoriesOrError"]["nodes"]
        return {s["name"]: s["sensorState"]["status"] for r in repositories for s in r["sensors"]}

    def runs(self, tags: dict[str, str] | None = None) -> list[dict]:
        selector = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
        return self.graphql(RUNS, {"filter": selector})["runsOrError"]["results"]

    def latest_backfill_id(self) -> str:
        return self.graphql(BACKFILLS)["partitionBackfillsOrError"]["results"][0]["id"]

    def wait_for_runs(self, tags: dict[str, str], timeout: float, done=lambda: True) -> list[dict]:
        """Wait until the runs tagged `tags` exist, all succeeded, and `done()` holds; fail fast on a failed
        run or when the server dies."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise DagsterDevError(f"dagster dev exited with {self.process.returncode}; see {self.log}")
            runs = self.runs(tags)
            failed = [r["runId"] for r in runs if r["status"] in FAILED_RUN]
            if failed:
                raise DagsterDevError(f"run(s) {failed} tagged {tags} failed; see {self.url}/runs/{failed[0]}")
            if runs and all(r["status"] == "SUCCESS" for r in runs) and done():
                return runs
            if time.monotonic() > deadline:
                states = {r["runId"][:8]: r["status"] for r in runs}
                raise DagsterDevError(f"runs tagged {tags} not all successful within {timeout:.0f} s: {states}")
            time.sleep(POLL_SECONDS)

    def wait_for_backfill(self, backfill_id: str, timeout: float) -> list[dict]:
        """Wait until every asset partition the backfill targets is materialized by its runs, all of which
        succeeded. Not the backfill's own status: it stays REQUESTED ~20 s after its last run finished."""

        def every_target_materialized() -> bool:
            answer = self.graphql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
            statuses = answer["assetBackfillData"]["assetBackfillStatuses"]
            return bool(statuses) and all(
                s.get("materialized", s.get("numPartitionsMaterialized") == s.get("numPartitionsTargeted"))
                for s in statuses
            )

        return self.wait_for_runs({"dagster/backfill": backfill_id}, timeout, every_target_materialized)


@contextmanager
def dagster_dev(env: dict[str, str], log: Path, timeout: float = STARTUP_TIMEOUT) -> Iterator[DagsterDev]:
    """`dagster dev -h 127.0.0.1 -p <free port> -w workspace.yaml` in its own session, output to `log`, with
    SIGINT handled whatever this process ignores (devtools/process_group.py says why)."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    argv = [venv_executable("dagster"), "dev", "-h", HOST, "-p", str(port), "-w", str(WORKSPACE)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=restore_interrupts,
        )
        try:
            began = time.monotonic()
            wait_until_answering(f"{url}/server_info", process, timeout, log)
            wait_until_loaded(url, process, timeout - (time.monotonic() - began), log)
            yield DagsterDev(url, env, process, log)
        finally:
            # dagster dev shuts its webserver, daemon and code server down on SIGTERM; runs still in flight
            # are in the same session and are interrupted with them (SIGKILL after the grace period).
            stop_process_group(process, timeout=SHUTDOWN_TIMEOUT)
