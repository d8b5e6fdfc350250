"""The KPI pipeline (group `kpi`): shop exports in S3 -> Snowflake raw tables -> dbt -> KPI dashboards."""

import dagster as dg

from assets.kpi import dashboards, models, sources
from assets.kpi.keys import KPI_TABLES
from assets.policies import KPI_FRESHNESS, RAW_FILES_FRESHNESS, AssetFamily, PipelinePolicy

POLICY = PipelinePolicy(
    pipeline="kpi",
    freshness={AssetFamily.RAW_FILES: RAW_FILES_FRESHNESS, AssetFamily.USER_FACING: KPI_FRESHNESS},
)


def _model_family(spec: dg.AssetSpec) -> AssetFamily:
    """The KPI tables are what analysts and the dashboards read; the other models feed them."""
    return AssetFamily.USER_FACING if spec.key in KPI_TABLES.values() else AssetFamily.MODEL


def kpi_definitions(with_superset: bool) -> dg.Definitions:
    """The pipeline's assets and sensors; Superset's dashboard only where a Superset is configured
    (assets/kpi/dashboards.py says why)."""
    superset = [dashboards.kpi_superset_dashboard] if with_superset else []
    return dg.Definitions(
        assets=[
            *POLICY.assets(AssetFamily.RAW_FILES, sources.export_files),
            *POLICY.assets(AssetFamily.RAW_TABLE, sources.raw_tables),
            *POLICY.assets(_model_family, models.dbt_models),
            *POLICY.assets(AssetFamily.USER_FACING, [dashboards.kpi_dashboard, *superset]),
        ],
        asset_checks=sources.checks,
        sensors=sources.sensors,
    )
