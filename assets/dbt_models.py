"""dbt models as Dagster assets, for any dbt project: keys named after the warehouse, partition windows as vars.

A pipeline declares its partitionings as (dbt tag, partitions definition) pairs: one asset definition per
partitioning, because a Dagster asset definition has one partitions definition, plus one unpartitioned
definition for the models no partitioning tag selects, so every model is in exactly one definition
(tests/test_dbt_selection.py). Each partitioned one takes a partition range in one run
(`BackfillPolicy.single_run()`): dbt's incremental models process the whole window in one statement.

The definitions are what `@dbt_assets(select="tag:...")` builds, but the tag is selected from the
manifest here: dagster-dbt evaluates any selection other than "all" with dbt-core's own selector, and
importing dbt-core cost 1.7-2.3 s of the 3.4-3.8 s it took every Dagster process (code server, each
run) to import the definitions. dbt-core lives in its own environment (dbt/requirements.lock) and runs
only as the `dbt` subprocess; at run time dagster-dbt passes `--select tag:...` to it as before.
"""

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
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
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
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


@dataclass(frozen=True)
class DbtPartitioning:
    """The models carrying `tag` form one asset definition partitioned by `partitions_def`."""

    tag: str
    partitions_def: PartitionsDefinition


def partitioned_selections(
    manifest: Mapping[str, Any], partitionings: Sequence[DbtPartitioning]
) -> dict[str, set[str]]:
    """Unique ids per partitioning tag, plus "" for the models no partitioning tag selects (so no model drops
    out of the graph); a model selected by two partitionings is refused, naming it."""
    selections = {p.tag: tag_selection(manifest, p.tag) for p in partitionings}
    models = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] in BUILT_RESOURCE_TYPES}
    owners: dict[str, list[str]] = {}
    for tag, selected in selections.items():
        for uid in selected & models:
            owners.setdefault(uid, []).append(tag)
    twice = {uid: tags for uid, tags in owners.items() if len(tags) > 1}
    if twice:
        raise ValueError(f"dbt models with more than one partitioning tag: {twice}")
    rest = models - set(owners)
    if rest:
        selections[""] = rest | {
            uid
            for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "test" and rest.intersection(node.get("depends_on", {}).get("nodes", ()))
        }
    return selections


BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot")


def build_dbt_definitions(
    *,
    name: str,
    project: DbtProject,
    partitionings: Sequence[DbtPartitioning],
    translator: DagsterDbtTranslator,
    pool: str,
    dbt_resource_key: str,
    warehouse_resource_key: str,
) -> list[AssetsDefinition]:
    """Every model of `project` in exactly one asset definition: one per partitioning tag, and an
    unpartitioned one for the models no partitioning tag selects (none in the KPI project)."""
    manifest = validate_manifest(project.manifest_path)
    specs, check_specs = build_dbt_specs(
        translator=translator,
        manifest=manifest,
        select="fqn:*",  # the one selection dagster-dbt evaluates without dbt-core
        exclude="",
        selector="",
        io_manager_key=None,
        project=project,
    )
    by_tag = {p.tag: p.partitions_def for p in partitionings}
    definitions = []
    for tag, selected in partitioned_selections(manifest, partitionings).items():
        kept = [spec for spec in specs if spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] in selected]
        keys = {spec.key for spec in kept}
        checks = [
            check
            for check in check_specs
            if check.asset_key in keys and (check.metadata or {})[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY] in selected
        ]
        selection = {DAGSTER_DBT_SELECT_METADATA_KEY: f"tag:{tag}"} if tag else _untagged_selection(by_tag)
        definitions.append(
            _dbt_multi_asset(
                name=f"{name}_{tag or 'unpartitioned'}_models",
                specs=kept,
                check_specs=checks,
                selection=selection,
                partitions_def=by_tag.get(tag),
                pool=pool,
                dbt_resource_key=dbt_resource_key,
                warehouse_resource_key=warehouse_resource_key,
            )
        )
    return definitions


def _untagged_selection(by_tag: Mapping[str, PartitionsDefinition]) -> dict[str, str]:
    """What dbt runs when the unpartitioned definition runs whole: every node but the partitioned tags'."""
    return {
        DAGSTER_DBT_SELECT_METADATA_KEY: "fqn:*",
        DAGSTER_DBT_EXCLUDE_METADATA_KEY: " ".join(f"tag:{tag}" for tag in by_tag),
    }


def _dbt_multi_asset(
    *,
    name: str,
    specs: list[AssetSpec],
    check_specs: list[AssetCheckSpec],
    selection: dict[str, str],
    partitions_def: PartitionsDefinition | None,
    pool: str,
    dbt_resource_key: str,
    warehouse_resource_key: str,
) -> AssetsDefinition:
    @multi_asset(
        name=name,
        specs=specs,
        check_specs=check_specs,
        can_subset=True,
        # What `DbtCliResource.cli` passes to dbt when the whole definition runs (a subset is named by path).
        op_tags=selection,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run() if partitions_def is not None else None,
        pool=pool,
        required_resource_keys={dbt_resource_key, warehouse_resource_key},
        allow_arbitrary_check_specs=True,
    )
    def dbt_models(context: AssetExecutionContext):
        dbt: DbtCliResource = getattr(context.resources, dbt_resource_key)
        warehouse: Warehouse = getattr(context.resources, warehouse_resource_key)
        window = json.dumps(window_vars(context)) if partitions_def is not None else "{}"
        args = ["build", "--vars", window]
        yield from with_table_stats(context, dbt.cli(args, context=context).stream(), warehouse)

    return dbt_models
