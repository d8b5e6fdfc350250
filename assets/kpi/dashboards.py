"""The KPI dashboards: the self-contained HTML report, and Superset's (`dashboards/kpi_superset`) from its bundle.

In the definitions only when Superset is configured (CUMULUS_SUPERSET_URL; see resources/superset/settings.py):
without a server the asset could only fail, on every automation tick and in `make demo`. The HTML report
(`dashboards/kpi_report`) is the zero-setup dashboard either way.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.kpi.keys import GROUP, KPI_TABLES
from assets.policies import follows_any_upstream_update
from resources.dashboard.interface import KpiDashboard, KpiTables
from resources.superset.dashboard import SupersetDashboard
from resources.warehouse.interface import Warehouse

KPI_ORDER_BY = {
    "daily": "order_date",
    "by_category": "order_date, category",
    "weekly": "week_start",
    "monthly": "month_start",
}


@asset(
    key=AssetKey(["dashboards", "kpi_report"]),
    deps=list(KPI_TABLES.values()),
    group_name=GROUP,
    kinds={"html"},
    automation_condition=follows_any_upstream_update(),
    description="The KPI dashboard: GMV / orders / AOV trends, category mix, new vs returning buyers, "
    "weekly and monthly rollups. A self-contained HTML report locally.",
)
def kpi_dashboard(context: AssetExecutionContext, snowflake: Warehouse, dashboard: KpiDashboard) -> MaterializeResult:
    frames = {
        name: snowflake.query(f"SELECT * FROM {key.path[1]}.{key.path[2]} ORDER BY {KPI_ORDER_BY[name]}")
        for name, key in KPI_TABLES.items()
    }
    published = dashboard.publish(KpiTables(**frames), title="cumulus — shop KPIs")
    context.log.info(f"KPI dashboard published at {published.url}")
    days = frames["daily"]
    return MaterializeResult(
        metadata={
            "dashboard_url": MetadataValue.url(published.url),
            "location": MetadataValue.path(published.location),
            "charts": MetadataValue.json(list(published.charts)),
            "days_shown": MetadataValue.int(len(days)),
            "last_day": MetadataValue.text(str(days["order_date"].max()) if len(days) else "none"),
        }
    )


SUPERSET_DASHBOARD = AssetKey(["dashboards", "kpi_superset"])
DATASETS_MATCH_TABLES = "datasets_match_tables"
CHARTS_MATCH_KPI_TABLES = "charts_match_kpi_tables"


def _check(name: str, problems: list[str], description: str, **metadata) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        description="; ".join(problems) if problems else description,
        metadata={"problems": MetadataValue.json(problems), **metadata},
    )


@asset(
    key=SUPERSET_DASHBOARD,
    deps=list(KPI_TABLES.values()),
    group_name=GROUP,
    kinds={"superset"},
    automation_condition=follows_any_upstream_update(),
    check_specs=[
        AssetCheckSpec(
            DATASETS_MATCH_TABLES,
            asset=SUPERSET_DASHBOARD,
            description="Every dashboard dataset has its KPI table's columns, including all the charts use.",
        ),
        AssetCheckSpec(
            CHARTS_MATCH_KPI_TABLES,
            asset=SUPERSET_DASHBOARD,
            description="Every chart's numbers, read through Superset's chart-data API, equal the KPI table's.",
        ),
    ],
    description="The KPI dashboard on Superset: GMV / orders / AOV trends, category mix, new vs returning "
    "buyers, daily, weekly and monthly tables. Published from superset/bundle/ through the REST API, then "
    "verified chart by chart against the KPI tables.",
)
def kpi_superset_dashboard(
    context: AssetExecutionContext, snowflake: Warehouse, superset: SupersetDashboard
) -> MaterializeResult:
    def columns(schema: str, table: str) -> list[str]:
        return sorted(name for name, _ in snowflake.table_columns(schema, table))

    published = superset.publish(columns)
    context.log.info(f"Superset dashboard published at {published.url}")
    if published.refreshed:
        context.log.info(f"datasets refreshed from their tables' columns: {', '.join(published.refreshed)}")
    verification = superset.verify(columns, snowflake.query)
    prepared = {k: MetadataValue.json(v) if isinstance(v, list) else v for k, v in published.prepared.items()}
    return MaterializeResult(
        metadata={
            "dashboard_url": MetadataValue.url(published.url),
            "dashboard_id": published.dashboard_id,
            "charts_verified": MetadataValue.json(verification.charts_checked),
            "datasets_refreshed": MetadataValue.json(list(published.refreshed)),
            **prepared,
        },
        check_results=[
            _check(
                DATASETS_MATCH_TABLES,
                verification.dataset_problems,
                f"{len(published.dataset_ids)} datasets match their tables",
                datasets_refreshed=MetadataValue.json(list(published.refreshed)),
            ),
            _check(
                CHARTS_MATCH_KPI_TABLES,
                verification.chart_problems,
                f"{len(verification.charts_checked)} charts show the KPI tables' numbers",
                rows_compared=MetadataValue.json(verification.charts_checked),
            ),
        ],
    )
