"""The KPI pipeline's dbt models: one asset definition per partitioning (daily, weekly, monthly)."""

from assets.dbt_models import WarehouseTranslator, build_dbt_models
from assets.kpi.keys import GROUP, WAREHOUSE, WAREHOUSE_POOL
from assets.partitions import daily_partitions, monthly_partitions, weekly_partitions
from assets.policies import follows_upstream
from resources.dbt import dbt_project

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
