"""dbt models as Dagster assets: keys named after the warehouse, partition windows passed as vars.

One asset definition per partitioning (daily, weekly, monthly), selected by dbt tag, because a Dagster
asset definition has one partitions definition. Each takes a partition range in one run
(`BackfillPolicy.single_run()`): dbt's incremental models process the whole window in one statement.

The definitions are what `@dbt_assets(select="tag:...")` builds, but the tag is selected from the
manifest here: dagster-dbt evaluates any selection other than "all" with dbt-core's own selector, and
importing dbt-core cost 1.7-2.3 s of the 3.4-3.8 s it took every Dagster process (code server, each
run) to import the definitions. dbt-core lives in its own environment (dbt/requirements.lock) and runs
only as the `dbt` subprocess; at run time dagster-dbt passes `--select tag:...` to it as before.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckSpec,
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
    multi_asset,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_UNIQUE_ID_METADATA_KEY,
    build_dbt_specs,
)
from dagster_dbt.dbt_manifest import validate_manifest

from assets.partitions import window_dates
from resources.warehouse.interface import Warehouse
from resources.warehouse.validation_sql import safe_ident


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
    with warehouse.session():  # dbt has exited: one opening of the warehouse for every output's stats
        replayed = [
            event.with_metadata({**event.metadata, **table_stats(warehouse, *_schema_and_table(context, event))})
            if isinstance(event, Output)
            else event
            for event in held
        ]
    yield from replayed


def _schema_and_table(context: AssetExecutionContext, output: Output) -> tuple[str, str]:
    key = context.asset_key_for_output(output.output_name)
    return key.path[-2], key.path[-1]


def tag_selection(manifest: Mapping[str, Any], tag: str) -> set[str]:
    """The unique ids `dbt ls --select tag:<tag>` lists, with dbt's default (eager) indirect selection:
    the nodes carrying the tag, and every test with the tag or with a selected parent."""
    nodes = manifest["nodes"]
    tagged = {uid for uid, node in nodes.items() if tag in node.get("tags", ())}
    tagged |= {uid for uid, source in manifest.get("sources", {}).items() if tag in source.get("tags", ())}
    tests_of_tagged = {
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "test" and tagged.intersection(node.get("depends_on", {}).get("nodes", ()))
    }
    return tagged | tests_of_tagged


def tagged_dbt_specs(
    manifest: Mapping[str, Any], project: DbtProject, translator: DagsterDbtTranslator, tag: str
) -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    """dagster-dbt's specs for the whole project, narrowed to the tag's models and the checks on them."""
    specs, check_specs = build_dbt_specs(
        translator=translator,
        manifest=manifest,
        select="fqn:*",  # the one selection dagster-dbt evaluates without dbt-core
        exclude="",
        selector="",
        io_manager_key=None,
        project=project,
    )
    selected = tag_selection(manifest, tag)
    kept = [spec for spec in specs if spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] in selected]
    keys = {spec.key for spec in kept}
    checks = [
        check
        for check in check_specs
        if check.asset_key in keys and (check.metadata or {})[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] in selected
    ]
    return kept, checks


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
    specs, check_specs = tagged_dbt_specs(validate_manifest(project.manifest_path), project, translator, tag)

    @multi_asset(
        name=name,
        specs=specs,
        check_specs=check_specs,
        can_subset=True,
        # What `DbtCliResource.cli` passes to dbt when the whole definition runs (a subset is named by path).
        op_tags={DAGSTER_DBT_SELECT_METADATA_KEY: f"tag:{tag}"},
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        pool=pool,
        required_resource_keys={"dbt", warehouse_resource_key},
        allow_arbitrary_check_specs=True,
    )
    def dbt_models(context: AssetExecutionContext):
        dbt: DbtCliResource = context.resources.dbt
        warehouse: Warehouse = getattr(context.resources, warehouse_resource_key)
        args = ["build", "--vars", json.dumps(window_vars(context))]
        yield from with_table_stats(context, dbt.cli(args, context=context).stream(), warehouse)

    return dbt_models
