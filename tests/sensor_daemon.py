"""What the sensor daemon and a finished load leave in the instance, for tests of the landing sensor.

`evaluate_tick` only evaluates; the daemon then stores the asset events and creates a run (not yet started) per run
request (skipping run keys it has launched before), and the sensor reads those on its next tick. A finished load
records the file versions it read and ends its runs.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.tags import RUN_FAILURE_REASON_TAG, RUN_KEY_TAG

from assets.landing_versions import LOADED_FILE_VERSIONS, version_tag
from resources.storage.interface import ObjectStore


def tick_as_daemon(
    sensor: dg.SensorDefinition, defs: dg.Definitions, instance: dg.DagsterInstance, store: ObjectStore, cursor
):
    with dg.build_sensor_context(cursor=cursor, resources={"s3": store}, definitions=defs, instance=instance) as ctx:
        result = sensor.evaluate_tick(ctx)
    for event in result.asset_events:  # recorded files, check evaluations: stored as the daemon stores them
        instance.report_runless_asset_event(event)
    for request in result.run_requests or []:
        if not instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key})):
            tags = {**request.tags, RUN_KEY_TAG: request.run_key}
            instance.add_run(dg.DagsterRun(job_name="__ASSET_JOB", status=dg.DagsterRunStatus.NOT_STARTED, tags=tags))
    return result


def finish_load(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    partition: str,
    versions: list[str],
    status: dg.DagsterRunStatus = dg.DagsterRunStatus.SUCCESS,
) -> None:
    """A load of `partition` that read `versions` ends with `status` (success records them as loaded)."""
    if status == dg.DagsterRunStatus.SUCCESS:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key, partition=partition, metadata={LOADED_FILE_VERSIONS: versions})
        )
    for version in versions:
        for run in instance.get_runs(dg.RunsFilter(tags={version_tag(version): "requested"})):
            if not run.is_finished:
                instance.delete_run(run.run_id)
                ended = run.with_status(status)
                if status == dg.DagsterRunStatus.FAILURE:  # its loader raised, as on a corrupt file
                    ended = ended.with_tags({**run.tags, RUN_FAILURE_REASON_TAG: "STEP_FAILURE"})
                instance.add_run(ended)
