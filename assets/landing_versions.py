"""Which landed file versions are known: read by a load, requested, or recorded (for record-only routes).

Judged from durable state only (the instance's materializations and runs), never from timestamps, so the
landing sensor (assets/landing.py) judges a late file and a whole new bucket the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from dagster import (
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    MetadataValue,
    RunRecord,
    RunsFilter,
)
from dagster._core.events import RunFailureReason
from dagster._core.storage.tags import (
    AUTO_RETRY_RUN_ID_TAG,
    PARENT_RUN_ID_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
)

from assets.landing_routes import FileTarget
from resources.storage.interface import StoredObject

LOADED_FILE_VERSIONS = "file_versions"  # metadata of a load: the `key@etag` of every file it read
RECORDED_FILE_VERSIONS = "recorded_versions"  # of a record-only file event: each key's latest `key@etag`
FILE_TAG_PREFIX = "cumulus/file."  # + a hash of each `key@etag` a load was requested for (version_tags)


def file_materialization(
    target: FileTarget, obj: StoredObject, recorded: Iterable[str] | None = None
) -> AssetMaterialization:
    """The landed version `obj` of the raw-file asset's partition (with, for a record-only route, the
    versions its partition now holds)."""
    listed = {RECORDED_FILE_VERSIONS: MetadataValue.json(sorted(recorded))} if recorded is not None else {}
    return AssetMaterialization(
        asset_key=target.files_asset,
        partition=target.partition_key,
        description=f"landed {obj.key}",
        metadata={
            "key": MetadataValue.text(obj.key),
            "etag": MetadataValue.text(obj.etag),
            "size_bytes": MetadataValue.int(obj.size),
            "last_modified": MetadataValue.timestamp(obj.last_modified),
            **listed,
        },
    )


class LoadedVersions:
    """The file versions the latest load of each partition read: two queries per load asset and tick.

    Covers loads the sensor requested and those it did not (a backfill or `make demo`)."""

    def __init__(self, instance: DagsterInstance, targets: Iterable[FileTarget]) -> None:
        self._versions = _latest_metadata_by_partition(
            instance, ((t.load_asset, t.partition_key) for t in targets), LOADED_FILE_VERSIONS
        )

    def of(self, target: FileTarget) -> frozenset[str]:
        return frozenset(self._versions.get((target.load_asset, target.partition_key), ()))


class RecordedVersions:
    """For a record-only route: the latest recorded version of each key of each raw-file partition, as
    the latest materialization of the partition lists them (two queries per raw-file asset and tick),
    updated as the tick records more."""

    def __init__(self, instance: DagsterInstance, targets: Iterable[FileTarget]) -> None:
        latest = _latest_metadata_by_partition(
            instance, ((t.files_asset, t.partition_key) for t in targets), RECORDED_FILE_VERSIONS
        )
        self._by_key = {p: {v.rsplit("@", 1)[0]: v for v in versions} for p, versions in latest.items()}

    def holds(self, target: FileTarget, obj: StoredObject) -> bool:
        return self._by_key.get((target.files_asset, target.partition_key), {}).get(obj.key) == obj.version

    def record(self, target: FileTarget, obj: StoredObject) -> AssetMaterialization:
        versions = self._by_key.setdefault((target.files_asset, target.partition_key), {})
        versions[obj.key] = obj.version
        return file_materialization(target, obj, recorded=versions.values())


def _latest_metadata_by_partition(
    instance: DagsterInstance, partitions: Iterable[tuple[AssetKey, str]], entry: str
) -> dict[tuple[AssetKey, str], list[str]]:
    """(asset, partition) -> the list in metadata `entry` of that partition's latest materialization."""
    wanted: dict[AssetKey, set[str]] = {}
    for asset_key, partition in partitions:
        wanted.setdefault(asset_key, set()).add(partition)
    found = {}
    for asset_key, keys in wanted.items():
        latest = instance.event_log_storage.get_latest_storage_id_by_partition(
            asset_key, DagsterEventType.ASSET_MATERIALIZATION, keys
        )
        if not latest:
            continue
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values())), limit=len(latest)
        ).records
        for record in records:
            versions = record.asset_materialization.metadata.get(entry)
            found[asset_key, record.partition_key] = list(versions.value) if versions is not None else []
    return found


def partition_state(loaded_before: frozenset[str]) -> str:
    """What a partition held when a load was requested: a re-delivery of content that is already
    requested or loaded is recognised, while a key that goes back to an earlier content (v1, v2, then v1
    again) is loaded again, because the partition then holds v2."""
    return hashlib.sha1("\n".join(sorted(loaded_before)).encode()).hexdigest()[:12]


def version_tag(version: str) -> str:
    """The run tag saying a load was requested for this `key@etag` (`<tag>.state`: in which state)."""
    return f"{FILE_TAG_PREFIX}{hashlib.sha1(version.encode()).hexdigest()[:16]}"


def version_tags(version: str, state: str) -> dict[str, str]:
    tag = version_tag(version)
    return {tag: "requested", f"{tag}.state": state}


# How often the sensor requests again the load of one version, in one partition state, whose runs were all
# interrupted; Dagster first retries each such run itself (`run_retries` in deploy/dagster.yaml).
INTERRUPTED_LOAD_REQUESTS = 3
# How long a retry Dagster said it would launch (`dagster/will_retry`) is waited for before the sensor
# requests the load itself (the retry daemon was down, or declined).
PROMISED_RETRY_WAIT_SECONDS = 600


def load_request_attempt(instance: DagsterInstance, obj: StoredObject, state: str, now: float) -> int | None:
    """Whether a load of this version is to be requested, and how many requests for it were interrupted.

    None (no request) while a load of it is queued or running, or Dagster is about to retry one, or when
    a load was requested before in the same partition state (what Dagster's run keys de-duplicate) and
    ended on its own: it succeeded, or it failed on the file's content (a step raised), which the same
    request would repeat: a corrected re-upload, with a new etag, is what loads it. A load that was
    interrupted from outside (canceled, its worker killed, `make dev` stopped) is requested again, up to
    INTERRUPTED_LOAD_REQUESTS times: the number returned, 0 for a first request, goes into the run key so
    that Dagster does not skip the new request as a duplicate. One query per version, as Dagster's own
    run-key check does.
    """
    tag = version_tag(obj.version)
    records = instance.get_run_records(RunsFilter(tags={tag: "requested"}))
    if any(not record.dagster_run.is_finished for record in records):
        return None
    same_state = [r for r in records if r.dagster_run.tags.get(f"{tag}.state") == state]
    if any(not was_interrupted(r.dagster_run) or _retry_promised(r, now) for r in same_state):
        return None
    # Dagster's retries of a request carry its tags; only the requests count.
    requests = sum(1 for r in same_state if PARENT_RUN_ID_TAG not in r.dagster_run.tags)
    return requests if requests < INTERRUPTED_LOAD_REQUESTS else None


def was_interrupted(run: DagsterRun) -> bool:
    """The run ended for a reason outside its input: canceled, or failed without a step raising (a worker
    killed is marked failed by its code server with no reason; one stopped by a signal is tagged
    UNEXPECTED_TERMINATION; a step raising makes the run's reason STEP_FAILURE)."""
    if run.status == DagsterRunStatus.CANCELED:
        return True
    reason = run.tags.get(RUN_FAILURE_REASON_TAG)
    return run.status == DagsterRunStatus.FAILURE and reason != RunFailureReason.STEP_FAILURE.value


def _retry_promised(record: RunRecord, now: float) -> bool:
    run = record.dagster_run
    if run.tags.get(WILL_RETRY_TAG) != "true" or AUTO_RETRY_RUN_ID_TAG in run.tags:
        return False
    ended = record.end_time or record.update_timestamp.timestamp()
    return now - ended < PROMISED_RETRY_WAIT_SECONDS
