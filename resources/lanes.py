"""The resources of a lane (local or cloud), built from settings. The one place the switch is read."""

from __future__ import annotations

from typing import Any

from dagster import EnvVar, ExecutorDefinition, in_process_executor, multiprocess_executor

from resources.dashboard.interface import HtmlReportDashboard
from resources.dbt import dbt_resource
from resources.settings import Settings
from resources.storage.local import LocalObjectStore
from resources.superset.connections import DuckDBServingCopy, SnowflakeForSuperset, SupersetWarehouse
from resources.superset.dashboard import SupersetDashboard
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse


def build_resources(settings: Settings) -> dict[str, Any]:
    common = {
        "dbt": dbt_resource(settings),
        # The zero-setup dashboard, in both lanes; Superset comes on top when configured.
        "dashboard": HtmlReportDashboard(output_dir=str(settings.reports_dir)),
        **superset_resources(settings),
    }
    if settings.cloud is None:
        return {
            **common,
            "s3": LocalObjectStore(root=str(settings.lake_root)),
            "snowflake": DuckDBWarehouse(path=str(settings.warehouse_path)),
        }
    # Imported only for the cloud lane: dagster-snowflake (it imports snowflake.core) and dagster-aws cost
    # about 10 of the 18.5 CPU seconds an import of definitions.py took (bench figure 3), and the local
    # lane never uses them.
    from resources.storage.s3 import S3ObjectStore
    from resources.warehouse.snowflake_warehouse import SnowflakeWarehouse

    c = settings.cloud
    return {
        **common,
        "s3": S3ObjectStore(bucket=c.s3_bucket, region=c.aws_region, endpoint_url=c.s3_endpoint_url),
        "snowflake": SnowflakeWarehouse(
            **snowflake_login(settings),
            host=c.snowflake_host,
            port=c.snowflake_port,
            protocol=c.snowflake_protocol,
        ),
    }


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
    return in_process_executor if settings.cloud is None else multiprocess_executor


def snowflake_login(settings: Settings) -> dict[str, Any]:
    """The account, user and scope every Snowflake resource of the cloud lane connects with."""
    c = settings.cloud
    if c is None:
        raise ValueError("Snowflake resources exist only in the cloud lane")
    return {
        "account": c.snowflake_account,
        "user": c.snowflake_user,
        # By reference: resource configuration is shown in the UI, a secret must not be.
        "password": EnvVar("SNOWFLAKE_PASSWORD"),
        "role": c.snowflake_role,
        "warehouse": c.snowflake_warehouse,
        "database": c.snowflake_database,
    }


def superset_resources(settings: Settings) -> dict[str, Any]:
    """The Superset dashboard's resource, when CUMULUS_SUPERSET_URL is set; none otherwise."""
    s = settings.superset
    if s is None:
        return {}
    warehouse: SupersetWarehouse
    if settings.cloud is None:
        warehouse = DuckDBServingCopy(
            warehouse_path=str(settings.warehouse_path), serving_path=str(settings.serving_copy_path)
        )
    else:
        warehouse = SnowflakeForSuperset(**snowflake_login(settings))
    password = EnvVar("CUMULUS_SUPERSET_PASSWORD") if s.password_from_environment else s.password
    return {"superset": SupersetDashboard(url=s.url, username=s.username, password=password, warehouse=warehouse)}
