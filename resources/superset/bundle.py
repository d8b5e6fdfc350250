"""The KPI dashboard as code: the Superset bundle kept in `superset/bundle/`, and what is derived from it.

The bundle is Superset's own import format (YAML per dataset, chart and dashboard; one `metadata.yaml`)
without the database: the connection is rendered from settings at publish time (`database_config`
of the lane's SupersetWarehouse) and zipped in as `databases/kpi_warehouse.yaml`, so no host, user or
password is ever in the repository. Every dataset of the bundle points at that one database uuid.

Pure functions over files: no HTTP here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from resources.settings import REPO_ROOT

BUNDLE_DIR = REPO_ROOT / "superset" / "bundle"
DATABASE_FILE = "databases/kpi_warehouse.yaml"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BundleError(ValueError):
    """The bundle in the repository is inconsistent (caught by tests before any server sees it)."""


@dataclass(frozen=True)
class DatasetSpec:
    uuid: str
    schema: str
    table: str
    columns: tuple[str, ...]
    metrics: dict[str, str]  # metric name -> SQL expression

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True)
class ChartSpec:
    """What a chart asks of its dataset: group-by dimensions and saved metrics, or raw columns."""

    uuid: str
    name: str
    dataset: DatasetSpec
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]  # empty for a raw-records table chart

    def expected_sql(self) -> str:
        """The query the KPI table must answer with the chart's numbers (identifiers validated on load)."""
        dims = ", ".join(self.dimensions)
        source = self.dataset.qualified_name
        if not self.metrics:
            return f"SELECT {dims} FROM {source} ORDER BY {dims}"
        measures = ", ".join(f'{self.dataset.metrics[m]} AS "{m}"' for m in self.metrics)
        return f"SELECT {dims}, {measures} FROM {source} GROUP BY {dims} ORDER BY {dims}"


@dataclass(frozen=True)
class Bundle:
    files: dict[str, dict[str, Any]]  # path inside the bundle -> parsed YAML
    database_uuid: str
    datasets: tuple[DatasetSpec, ...]
    charts: tuple[ChartSpec, ...]
    dashboard_uuid: str
    dashboard_slug: str
    dashboard_title: str

    def zip_with_database(self, database: dict[str, Any]) -> bytes:
        """The import ZIP: the bundle's files plus the rendered database under the bundle's database uuid."""
        files = {**self.files, DATABASE_FILE: {**database, "uuid": self.database_uuid, "version": "1.0.0"}}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(files):
                archive.writestr(f"cumulus_kpis/{path}", yaml.safe_dump(files[path], sort_keys=False))
        return buffer.getvalue()


def _identifier(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise BundleError(f"{where}: {value!r} is not a plain SQL identifier")
    return value


def _dataset(path: str, config: dict[str, Any]) -> DatasetSpec:
    columns = tuple(_identifier(c["column_name"], f"{path} column") for c in config["columns"])
    metrics = {_identifier(m["metric_name"], f"{path} metric"): m["expression"] for m in config.get("metrics") or []}
    return DatasetSpec(
        uuid=str(config["uuid"]),
        schema=_identifier(config["schema"], f"{path} schema"),
        table=_identifier(config["table_name"], f"{path} table_name"),
        columns=columns,
        metrics=metrics,
    )


def _chart(path: str, config: dict[str, Any], datasets: dict[str, DatasetSpec]) -> ChartSpec:
    dataset = datasets.get(str(config["dataset_uuid"]))
    if dataset is None:
        raise BundleError(f"{path}: dataset {config['dataset_uuid']} is not in the bundle")
    params = config["params"]
    if params.get("query_mode") == "raw":
        dimensions, metrics = params["all_columns"], []
    else:
        dimensions, metrics = [params["x_axis"], *params.get("groupby", [])], params["metrics"]
    for name in dimensions:
        if _identifier(name, f"{path} column") not in dataset.columns:
            raise BundleError(f"{path}: column {name!r} is not a column of dataset {dataset.table}")
    for name in metrics:
        if not isinstance(name, str) or name not in dataset.metrics:
            raise BundleError(f"{path}: metric {name!r} is not a saved metric of dataset {dataset.table}")
    return ChartSpec(str(config["uuid"]), config["slice_name"], dataset, tuple(dimensions), tuple(metrics))


def _chart_uuids_in_layout(position: dict[str, Any]) -> list[str]:
    """The uuids of the layout's chart nodes. Superset places a chart by its node's `meta.uuid` (without
    it the chart is shown twice) and maps the node's `meta.chartId`, a placeholder, to the new id."""
    nodes = [n for n in position.values() if isinstance(n, dict) and n.get("type") == "CHART"]
    placeholders = [n["meta"].get("chartId") for n in nodes]
    if not all(isinstance(p, int) for p in placeholders) or len(set(placeholders)) != len(nodes):
        raise BundleError("every chart node of the dashboard layout needs its own integer meta.chartId")
    return [str(n["meta"].get("uuid")) for n in nodes]


def load_bundle(root: Path = BUNDLE_DIR) -> Bundle:
    """Read and cross-check the bundle: one database, charts on bundled datasets, layout nodes by uuid."""
    files = {p.relative_to(root).as_posix(): yaml.safe_load(p.read_text()) for p in sorted(root.rglob("*.yaml"))}
    if DATABASE_FILE in files or any(path.startswith("databases/") for path in files):
        raise BundleError("the bundle must not contain a database: it is rendered from settings")
    datasets = {}
    for path, config in files.items():
        if path.startswith("datasets/"):
            spec = _dataset(path, config)
            datasets[spec.uuid] = spec
    database_uuids = {str(c["database_uuid"]) for p, c in files.items() if p.startswith("datasets/")}
    if len(database_uuids) != 1:
        raise BundleError(f"the datasets must share one database uuid; found {sorted(database_uuids)}")
    charts = tuple(_chart(p, c, datasets) for p, c in files.items() if p.startswith("charts/"))
    dashboards = [c for p, c in files.items() if p.startswith("dashboards/")]
    if len(dashboards) != 1:
        raise BundleError(f"the bundle must hold exactly one dashboard; found {len(dashboards)}")
    dashboard = dashboards[0]
    in_layout = _chart_uuids_in_layout(dashboard["position"])
    if sorted(in_layout) != sorted(c.uuid for c in charts):
        raise BundleError("the dashboard layout must hold every chart of the bundle exactly once (meta.uuid)")
    return Bundle(
        files=files,
        database_uuid=database_uuids.pop(),
        datasets=tuple(datasets.values()),
        charts=charts,
        dashboard_uuid=str(dashboard["uuid"]),
        dashboard_slug=dashboard["slug"],
        dashboard_title=dashboard["dashboard_title"],
    )
