"""The KPI pipeline's sources: shop export files in S3 (external), their raw tables, the landing sensor."""

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.kpi.keys import GROUP, LAKE, WAREHOUSE, WAREHOUSE_POOL, export_files_key, raw_table_key
from assets.landing import landing_tick, raw_file_spec
from assets.landing_routes import LandingRoute
from assets.loading import RawTableSource, build_raw_table_asset
from assets.partitions import daily_partitions
from assets.policies import SENSOR_TICK_SECONDS
from assets.unmapped_keys import unmapped_keys_checks
from contracts.shop import EXPORT_LAYOUT, SHOP_TABLES, SOURCE, export_prefix
from resources.storage.interface import ObjectStore
from resources.warehouse.interface import EXPORT_DATE

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

raw_sources = {
    c.name: RawTableSource(
        c,
        daily_partitions,
        prefix_of=lambda key, table=c.name: EXPORT_LAYOUT.partition_prefix(table, key),
        suffix=EXPORT_LAYOUT.suffix,
        partition_column=EXPORT_DATE,
    )
    for c in SHOP_TABLES
}

raw_tables = [
    build_raw_table_asset(
        raw_sources[c.name],
        key=raw_table_key(c.name),
        files_asset=export_files_key(c.name),
        group_name=GROUP,
        store_resource_key=LAKE,
        warehouse_resource_key=WAREHOUSE,
        kinds={"snowflake"},
        pool=WAREHOUSE_POOL,
    )
    for c in SHOP_TABLES
]

export_route = LandingRoute(
    name="shop_exports",
    layout=EXPORT_LAYOUT,
    files_assets={c.name: export_files_key(c.name) for c in SHOP_TABLES},
    partitions_def=daily_partitions,
    load_assets={c.name: raw_table_key(c.name) for c in SHOP_TABLES},
)


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
    recent = export_route.recent_prefixes(RECENT_EXPORT_DAYS)
    return landing_tick(context, s3, export_route, recent_prefixes=recent)


assets = [*export_files, *raw_tables]
checks = [unmapped_keys_checks(export_route, store_resource_key=LAKE)]
sensors = [shop_exports_sensor]
