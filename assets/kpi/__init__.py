"""The KPI pipeline (group `kpi`): shop exports in S3 -> Snowflake raw tables -> dbt -> KPI dashboards."""

import dagster as dg

from assets.kpi import dashboards, models, sources


def kpi_definitions(with_superset: bool) -> dg.Definitions:
    """The pipeline's assets and sensors; Superset's dashboard only where a Superset is configured
    (assets/kpi/dashboards.py says why)."""
    superset = [dashboards.kpi_superset_dashboard] if with_superset else []
    return dg.Definitions(
        assets=[*sources.assets, *models.dbt_models, dashboards.kpi_dashboard, *superset],
        sensors=sources.sensors,
    )
