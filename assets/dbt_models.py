"""dbt models as Dagster assets: keys named after the warehouse, partition windows passed as vars.

One `@dbt_assets` per partitioning (daily, weekly, monthly), selected by dbt tag, because a Dagster
asset definition has one partitions definition. Each takes a partition range in one run
(`BackfillPolicy.single_run()`): dbt's incremental models process the whole window in one statement.
"""

import json
from collections.abc import Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    PartitionsDefinition,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from assets.partitions import window_dates


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys as `<warehouse>/<schema>/<table>`, the same key the Python loaders give the raw tables."""

    def __init__(self, warehouse: str, group_name: str, automation: AutomationCondition) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._warehouse = warehouse
        self._group_name = group_name
        self._automation = automation

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=AssetKey([self._warehouse, props["source_name"], props["name"]]))
        return spec.replace_attributes(
            key=AssetKey([self._warehouse, props["schema"], props["name"]]),
            group_name=self._group_name,
            automation_condition=self._automation,
        )


def window_vars(context: AssetExecutionContext) -> dict[str, str]:
    """The dbt vars of a run: the inclusive business-day window of its partition (range)."""
    first, last = window_dates(context)
    return {"min_date": first.isoformat(), "max_date": last.isoformat()}


def build_dbt_models(
    *,
    name: str,
    project: DbtProject,
    tag: str,
    partitions_def: PartitionsDefinition,
    translator: DagsterDbtTranslator,
    pool: str,
):
    @dbt_assets(
        name=name,
        manifest=project.manifest_path,
        project=project,
        select=f"tag:{tag}",
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        pool=pool,
    )
    def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        args = ["build", "--vars", json.dumps(window_vars(context))]
        yield from dbt.cli(args, context=context).stream()

    return dbt_models
