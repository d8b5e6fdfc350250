"""dbt models as Dagster assets: keys named after the warehouse, partition windows passed as vars.

One `@dbt_assets` per partitioning (daily, weekly, monthly), selected by dbt tag, because a Dagster
asset definition has one partitions definition. Each takes a partition range in one run
(`BackfillPolicy.single_run()`): dbt's incremental models process the whole window in one statement.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    MetadataValue,
    Output,
    PartitionsDefinition,
    TableColumn,
    TableSchema,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from assets.partitions import window_dates
from resources.raw_validation import safe_ident
from resources.warehouse import Warehouse


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


def table_stats(warehouse: Warehouse, schema: str, table: str) -> dict[str, MetadataValue]:
    """Standard row-count and column-schema metadata, read from the warehouse itself."""
    columns = warehouse.table_columns(schema, table)
    count = warehouse.query(f"SELECT count(*) AS n FROM {safe_ident(schema)}.{safe_ident(table)}").iloc[0]["n"]
    return {
        "dagster/row_count": MetadataValue.int(int(count)),
        "dagster/column_schema": MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(name, dtype.lower()) for name, dtype in columns])
        ),
    }


def with_table_stats(context: AssetExecutionContext, events: Iterable[Any], warehouse: Warehouse) -> Iterator[Any]:
    """dbt's events, each model output enriched with its table's row count and schema.

    Replayed after dbt exits, in their original order: the local warehouse is a DuckDB file that the
    dbt process holds open for writing while it runs, so it cannot be queried before.
    """
    held = list(events)
    for event in held:
        if isinstance(event, Output):
            key = context.asset_key_for_output(event.output_name)
            yield event.with_metadata({**event.metadata, **table_stats(warehouse, key.path[-2], key.path[-1])})
        else:
            yield event


def build_dbt_models(
    *,
    name: str,
    project: DbtProject,
    tag: str,
    partitions_def: PartitionsDefinition,
    translator: DagsterDbtTranslator,
    pool: str,
    warehouse_resource_key: str,
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
        required_resource_keys={"dbt", warehouse_resource_key},
    )
    def dbt_models(context: AssetExecutionContext):
        dbt: DbtCliResource = context.resources.dbt
        warehouse: Warehouse = getattr(context.resources, warehouse_resource_key)
        args = ["build", "--vars", json.dumps(window_vars(context))]
        yield from with_table_stats(context, dbt.cli(args, context=context).stream(), warehouse)

    return dbt_models
