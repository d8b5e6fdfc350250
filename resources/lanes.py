"""The resources of a lane (local or cloud), built from settings, one builder per system.

The one place the lane switch is read. Resource keys name the system (`s3`, `snowflake`, `dbt_kpi`, ...):
the same asset code runs in both lanes, only the implementation behind a key changes.
"""

from __future__ import annotations

from typing import Any

from dagster import EnvVar, ExecutorDefinition, in_process_executor, multiprocess_executor

from resources.dashboard.interface import HtmlReportDashboard
from resources.dbt import KPI_DBT, DbtProjectSpec, dbt_resource
from resources.settings import Settings
from resources.storage.local import LocalObjectStore
from resources.superset.connections import DuckDBServingCopy, SnowflakeForSuperset, SupersetWarehouse
from resources.superset.dashboard import SupersetDashboard
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

# The dbt projects each pipeline runs.
PIPELINE_DBT_PROJECTS: dict[str, tuple[DbtProjectSpec, ...]] = {"kpi": (KPI_DBT,)}


def build_resources(settings: Settings) -> dict[str, Any]:
    resources: dict[str, Any] = {
        # The zero-setup dashboard, in both lanes; Superset comes on top when configured.
        "dashboard": HtmlReportDashboard(output_dir=str(settings.reports_dir)),
        **superset_resources(settings),
    }
    for pipeline in settings.pipelines:
        for spec in PIPELINE_DBT_PROJECTS.get(pipeline, ()):
            resources[spec.resource_key] = dbt_resource(settings, spec)
    if "kpi" in settings.pipelines:
        resources["s3"] = s3_store(settings)
        resources["snowflake"] = snowflake_warehouse(settings)
    return resources


def s3_store(settings: Settings) -> Any:
    """The bucket the shop's exports land in: a local folder, or S3."""
    if not settings.is_cloud:
        return LocalObjectStore(root=str(settings.lake_root))
    # Imported only for the cloud lane: dagster-aws (and dagster-snowflake, below) cost about 10 of the
    # 18.5 CPU seconds an import of definitions.py took (bench figure 3), and the local lane never uses them.
    from resources.storage.s3 import S3ObjectStore

    s3 = _required(settings.s3, "S3")
    return S3ObjectStore(bucket=s3.bucket, region=s3.region, endpoint_url=s3.endpoint_url)


def snowflake_warehouse(settings: Settings) -> Any:
    """The central warehouse: a DuckDB file, or Snowflake."""
    if not settings.is_cloud:
        return DuckDBWarehouse(path=str(settings.warehouse_path))
    from resources.warehouse.snowflake_warehouse import SnowflakeWarehouse

    snowflake = _required(settings.snowflake, "Snowflake")
    return SnowflakeWarehouse(
        **snowflake_login(settings), host=snowflake.host, port=snowflake.port, protocol=snowflake.protocol
    )


def build_executor(settings: Settings) -> ExecutorDefinition:
    """How a run executes its steps: in the run's process locally, a process per step in the cloud.

    Local: the warehouse is one DuckDB file with a single writer, so the pipeline's steps run one at a
    time behind the warehouse pool whatever the executor; a process per step only adds its start-up (the
    step re-imports the project: 5-7 s of wall time per step around loads of 0.5 s; a one-day CLI run of
    the daily pipeline took 81 s that way, 26 s in-process, measured side by side). In-process steps still
    claim the pool's slots (Dagster's in-process executor takes the instance's concurrency context), so
    concurrent runs still queue on the warehouse.
    Cloud: Snowflake takes concurrent writers, so steps run in parallel and each in its own process (a
    step that crashes or runs out of memory fails alone, and is retried alone).
    """
    return multiprocess_executor if settings.is_cloud else in_process_executor


def snowflake_login(settings: Settings) -> dict[str, Any]:
    """The account, user and scope every Snowflake resource of the cloud lane connects with."""
    s = _required(settings.snowflake, "Snowflake")
    return {
        "account": s.account,
        "user": s.user,
        # By reference: resource configuration is shown in the UI, a secret must not be.
        "password": EnvVar("SNOWFLAKE_PASSWORD"),
        "role": s.role,
        "warehouse": s.warehouse,
        "database": s.database,
    }


def superset_resources(settings: Settings) -> dict[str, Any]:
    """The Superset dashboard's resource, when CUMULUS_SUPERSET_URL is set; none otherwise."""
    s = settings.superset
    if s is None:
        return {}
    warehouse: SupersetWarehouse
    if settings.is_cloud:
        warehouse = SnowflakeForSuperset(**snowflake_login(settings))
    else:
        warehouse = DuckDBServingCopy(
            warehouse_path=str(settings.warehouse_path), serving_path=str(settings.serving_copy_path)
        )
    password = EnvVar("CUMULUS_SUPERSET_PASSWORD") if s.password_from_environment else s.password
    return {"superset": SupersetDashboard(url=s.url, username=s.username, password=password, warehouse=warehouse)}


def _required(value: Any, system: str) -> Any:
    if value is None:
        raise ValueError(f"the cloud lane has no {system} settings: no enabled pipeline needs {system}")
    return value
