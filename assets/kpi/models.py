"""The KPI pipeline's dbt models (dbt/kpi/): one asset definition per partitioning (daily, weekly, monthly)."""

from assets.dbt_models import DbtPartitioning, WarehouseTranslator, build_dbt_definitions
from assets.kpi.keys import GROUP, WAREHOUSE, WAREHOUSE_POOL
from assets.partitions import daily_partitions, monthly_partitions, weekly_partitions
from assets.policies import follows_upstream
from resources.dbt import KPI_DBT

# The dbt tag that puts a model in each partitioning (set in dbt/kpi/dbt_project.yml).
PARTITIONINGS = (
    DbtPartitioning("daily", daily_partitions),
    DbtPartitioning("weekly", weekly_partitions),
    DbtPartitioning("monthly", monthly_partitions),
)

dbt_models = build_dbt_definitions(
    name="kpi",
    project=KPI_DBT.project,
    partitionings=PARTITIONINGS,
    translator=WarehouseTranslator(WAREHOUSE, GROUP, follows_upstream()),
    pool=WAREHOUSE_POOL,
    dbt_resource_key=KPI_DBT.resource_key,
    warehouse_resource_key=WAREHOUSE,
)
