"""The resources of a lane (local or cloud), built from settings. The one place the switch is read."""

from __future__ import annotations

from typing import Any

from dagster import EnvVar

from resources.dashboard import HtmlReportDashboard
from resources.dbt_project import dbt_resource
from resources.settings import Settings
from resources.storage import LocalObjectStore
from resources.warehouse import DuckDBWarehouse


def build_resources(settings: Settings) -> dict[str, Any]:
    common = {
        "dbt": dbt_resource(settings),
        # Locally and, until the Superset dashboard lands, in the cloud lane too.
        "dashboard": HtmlReportDashboard(output_dir=str(settings.reports_dir)),
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
    from resources.s3_storage import S3ObjectStore
    from resources.snowflake_warehouse import SnowflakeWarehouse

    c = settings.cloud
    return {
        **common,
        "s3": S3ObjectStore(bucket=c.s3_bucket, region=c.aws_region, endpoint_url=c.s3_endpoint_url),
        "snowflake": SnowflakeWarehouse(
            account=c.snowflake_account,
            user=c.snowflake_user,
            # By reference: resource configuration is shown in the UI, a secret must not be.
            password=EnvVar("SNOWFLAKE_PASSWORD"),
            role=c.snowflake_role,
            warehouse=c.snowflake_warehouse,
            database=c.snowflake_database,
            host=c.snowflake_host,
            port=c.snowflake_port,
            protocol=c.snowflake_protocol,
        ),
    }
