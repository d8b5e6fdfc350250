"""Names of the KPI pipeline's assets and resources, shared by its modules and its tests."""

from dagster import AssetKey

from contracts.shop import SOURCE

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


def export_files_key(table: str) -> AssetKey:
    return AssetKey([LAKE, SOURCE, table])


def raw_table_key(table: str) -> AssetKey:
    return AssetKey([WAREHOUSE, "raw", table])
