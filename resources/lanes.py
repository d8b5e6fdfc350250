"""The resources of a lane (local or cloud), built from settings. The one place the switch is read."""

from __future__ import annotations

from typing import Any

from resources.dashboard import HtmlReportDashboard
from resources.dbt_project import dbt_resource
from resources.settings import Settings, SettingsError
from resources.storage import LocalObjectStore
from resources.warehouse import DuckDBWarehouse


def build_resources(settings: Settings) -> dict[str, Any]:
    if settings.env != "local":
        raise SettingsError(
            "CUMULUS_ENV=cloud: the settings are valid, but the cloud lane's warehouse resource is not wired "
            "yet (the S3 store is: resources/s3_storage.py). Use CUMULUS_ENV=local."
        )
    return {
        "s3": LocalObjectStore(root=str(settings.lake_root)),
        "snowflake": DuckDBWarehouse(path=str(settings.warehouse_path)),
        "dbt": dbt_resource(settings),
        "dashboard": HtmlReportDashboard(output_dir=str(settings.reports_dir)),
    }
