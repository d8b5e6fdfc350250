"""Loads that end early, judged by the landing sensor and by Dagster's run retries, on an instance configured
as `make dev`'s (deploy/dagster.yaml in a temporary DAGSTER_HOME): a load interrupted from outside is loaded
again, a load that failed on its file's content is not, until a corrected file lands."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.storage.tags import MAX_RETRIES_TAG, RUN_FAILURE_REASON_TAG, RUN_KEY_TAG, WILL_RETRY_TAG

from assets.kpi.sources import shop_exports_sensor
from assets.landing_versions import INTERRUPTED_LOAD_REQUESTS, version_tag
from contracts.shop import export_file_key
from definitions import build_definitions
from devtools.dagster_server import INSTANCE_CONFIG
from resources.settings import Settings
from tests.sensor_daemon import tick_as_daemon

DAY = "2026-11-03"
KEY = export_file_key("orders", DAY, 0)


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    return build_definitions(Settings(env="local", home=tmp_path_factory.mktemp("home")))


@pytest.fixture
def instance(tmp_path) -> Iterator[dg.DagsterInstance]:
    shutil.copyfile(INSTANCE_CONFIG, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def store(defs):
    store = defs.resources["s3"]
    shutil.rmtree(store.root, ignore_errors=True)
    return store


def tick(defs, instance, store) -> dg.SensorResult:
    return tick_as_daemon(shop_exports_sensor, defs, instance, store, None)


def requested_run(instance: dg.DagsterInstance, request: dg.RunRequest) -> dg.DagsterRun:
    (run,) = instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key}))
    return run


def kill_worker(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """What the code server does when a run's process died (`kill -9`, the OOM killer)."""
    instance.report_run_failed(run)


def cancel(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    instance.report_run_canceled(run)


@dg.asset
def stopped_by_a_signal() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # what stopping `make dev` sends its run workers
    time.sleep(10)


def stop_with_a_signal(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """The request's run, executed by a worker that is stopped by SIGINT."""
    instance.delete_run(run.run_id)
    result = dg.materialize([stopped_by_a_signal], instance=instance, tags=run.tags, raise_on_error=False)
    assert instance.get_run_by_id(result.run_id).tags[RUN_FAILURE_REASON_TAG] == "UNEXPECTED_TERMINATION"


def without_dagster_retries(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """The run as Dagster's retries leave it once used up (its own limit set to none)."""
    instance.add_run_tags(run.run_id, {MAX_RETRIES_TAG: "0"})
    return instance.get_run_by_id(run.run_id)


@pytest.mark.parametrize("interrupt", [kill_worker, cancel, stop_with_a_signal])
def test_an_interrupted_load_that_dagster_does_not_retry_is_requested_again(defs, instance, store, interrupt):
    store.write_bytes(KEY, b"a day of orders")
    (first,) = tick(defs, instance, store).run_requests
    interrupt(instance, without_dagster_retries(instance, requested_run(instance, first)))
    (again,) = tick(defs, instance, store).run_requests
    assert again.run_key != first.run_key  # else Dagster would skip it as a duplicate
    assert again.partition_key == DAY and version_tag(store.list_page(KEY)[0].version) in again.tags
    assert tick(defs, instance, store).skip_message  # requested: once is enough


def test_a_load_whose_worker_was_killed_is_retried_by_dagster_and_not_requested_twice(defs, instance, store):
    store.write_bytes(KEY, b"a day of orders")
    (first,) = tick(defs, instance, store).run_requests
    kill_worker(instance, requested_run(instance, first))
    assert instance.get_run_by_id(requested_run(instance, first).run_id).tags[WILL_RETRY_TAG] == "true"
    assert tick(defs, instance, store).skip_message


def test_a_load_that_failed_on_its_content_is_neither_retried_nor_requested_until_a_new_version_lands(
    defs, instance, store
):
    store.write_bytes(KEY, b"not gzip")
    (first,) = tick(defs, instance, store).run_requests
    run = requested_run(instance, first)
    instance.delete_run(run.run_id)  # the daemon's run, executed here by the real loader
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance,
        partition_key=first.partition_key,
        asset_selection=first.asset_selection,
        tags=run.tags,
        raise_on_error=False,
    )
    failed = instance.get_run_by_id(result.run_id)
    assert failed.status == dg.DagsterRunStatus.FAILURE
    assert failed.tags[RUN_FAILURE_REASON_TAG] == "STEP_FAILURE" and failed.tags[WILL_RETRY_TAG] == "false"
    assert tick(defs, instance, store).skip_message
    store.write_bytes(KEY, b"corrected")
    (corrected,) = tick(defs, instance, store).run_requests
    assert version_tag(store.list_page(KEY)[0].version) in corrected.tags


def test_a_load_interrupted_every_time_is_requested_a_bounded_number_of_times(defs, instance, store):
    store.write_bytes(KEY, b"a day of orders")
    requests = []
    while (result := tick(defs, instance, store)).run_requests:
        (request,) = result.run_requests
        requests.append(request.run_key)
        kill_worker(instance, without_dagster_retries(instance, requested_run(instance, request)))
        assert len(requests) <= INTERRUPTED_LOAD_REQUESTS
    assert len(set(requests)) == INTERRUPTED_LOAD_REQUESTS
