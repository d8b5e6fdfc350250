"""The KPI pipeline's sources: shop export files in S3 (external), their raw tables, the landing sensor."""

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.kpi.keys import GROUP, LAKE, WAREHOUSE, WAREHOUSE_POOL, export_files_key, raw_table_key
from assets.landing import ExistingDays, LandingRoute, day_partition_of, landing_tick, raw_file_spec
from assets.loading import build_raw_table_asset
from assets.partitions import daily_partitions, recent_business_days
from assets.policies import SENSOR_TICK_SECONDS
from contracts.shop import SHOP_TABLES, SOURCE, TABLES_BY_NAME, export_partition_prefix, export_prefix
from resources.storage.interface import ObjectStore

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


assets = [*export_files, *raw_tables]
sensors = [shop_exports_sensor]
