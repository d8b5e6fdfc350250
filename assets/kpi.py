"""The KPI pipeline (group `kpi`): shop exports in S3 -> Snowflake raw tables -> dbt -> KPI dashboard.

Thin wiring: the mechanics (landing, loading, dbt, policies) live in their own modules and are shared
with the other pipelines.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    SensorEvaluationContext,
    SensorResult,
    asset,
    sensor,
)

from assets.dbt_models import WarehouseTranslator, build_dbt_models
from assets.landing import ExistingDays, LandingRoute, day_partition_of, landing_tick, raw_file_spec
from assets.loading import build_raw_table_asset
from assets.partitions import daily_partitions, monthly_partitions, recent_business_days, weekly_partitions
from assets.policies import SENSOR_TICK_SECONDS, follows_any_upstream_update, follows_upstream
from contracts.shop import SHOP_TABLES, SOURCE, TABLES_BY_NAME, export_partition_prefix, export_prefix
from resources.dashboard import KpiDashboard, KpiTables
from resources.dbt_project import dbt_project
from resources.storage import ObjectStore
from resources.warehouse import Warehouse

GROUP = "kpi"
LAKE = "s3"  # resource key and asset-key prefix: the bucket the service-DB exports land in
WAREHOUSE = "snowflake"  # resource key and asset-key prefix: the central warehouse
WAREHOUSE_POOL = "snowflake_warehouse"  # one writer at a time: DuckDB allows a single writing process
KPI_TABLES = {
    "daily": AssetKey([WAREHOUSE, "kpi", "kpi_daily_sales"]),
    "by_category": AssetKey([WAREHOUSE, "kpi", "kpi_daily_category_sales"]),
    "weekly": AssetKey([WAREHOUSE, "kpi", "kpi_weekly_sales"]),
    "monthly": AssetKey([WAREHOUSE, "kpi", "kpi_monthly_sales"]),
}
KPI_ORDER_BY = {
    "daily": "order_date",
    "by_category": "order_date, category",
    "weekly": "week_start",
    "monthly": "month_start",
}


def export_files_key(table: str) -> AssetKey:
    return AssetKey([LAKE, SOURCE, table])


def raw_table_key(table: str) -> AssetKey:
    return AssetKey([WAREHOUSE, "raw", table])


export_files = [
    raw_file_spec(
        export_files_key(c.name),
        description=f"Service-DB export files of `{c.name}` as they land under `{export_prefix(c.name)}`.",
        partitions_def=daily_partitions,
        group_name=GROUP,
        kind="s3",
    )
    for c in SHOP_TABLES
]

raw_tables = [
    build_raw_table_asset(
        c,
        key=raw_table_key(c.name),
        files_asset=export_files_key(c.name),
        partitions_def=daily_partitions,
        group_name=GROUP,
        store_resource_key=LAKE,
        warehouse_resource_key=WAREHOUSE,
        kinds={"snowflake"},
        pool=WAREHOUSE_POOL,
    )
    for c in SHOP_TABLES
]

_translator = WarehouseTranslator(WAREHOUSE, GROUP, follows_upstream())
dbt_models = [
    build_dbt_models(
        name=f"kpi_{tag}_models",
        project=dbt_project,
        tag=tag,
        partitions_def=partitions,
        translator=_translator,
        pool=WAREHOUSE_POOL,
        warehouse_resource_key=WAREHOUSE,
    )
    for tag, partitions in (("daily", daily_partitions), ("weekly", weekly_partitions), ("monthly", monthly_partitions))
]


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


export_days = ExistingDays(daily_partitions)


def route_shop_export(key: str) -> LandingRoute | None:
    """`shop/<table>/dt=YYYY-MM-DD/part-*.jsonl.gz` -> that table's files and raw-table partition."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != SOURCE or parts[1] not in TABLES_BY_NAME or not key.endswith(".jsonl.gz"):
        return None
    partition = day_partition_of(key, export_days)
    if partition is None:
        return None
    return LandingRoute(export_files_key(parts[1]), raw_table_key(parts[1]), partition)


# Days whose export prefixes every tick lists: today's and yesterday's (business time), where a day's
# exports land; files for older days are found by the sweep (assets/landing.py).
RECENT_EXPORT_DAYS = 2


@sensor(
    name="shop_exports_sensor",
    minimum_interval_seconds=SENSOR_TICK_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    target=AssetSelection.assets(*(raw_table_key(c.name) for c in SHOP_TABLES)),
    description=f"Watches `{SOURCE}/` for new or re-delivered export files and loads their day-partitions.",
)
def shop_exports_sensor(context: SensorEvaluationContext, s3: ObjectStore) -> SensorResult:
    days = recent_business_days(RECENT_EXPORT_DAYS)
    recent = [export_partition_prefix(c.name, day) for c in SHOP_TABLES for day in days]
    return landing_tick(context, s3, prefix=f"{SOURCE}/", recent_prefixes=recent, route=route_shop_export)


assets = [*export_files, *raw_tables, *dbt_models, kpi_dashboard]
sensors = [shop_exports_sensor]
