"""The KPI dashboard on Superset: publish the repository's bundle through the REST API, then verify it.

Publishing (`SupersetDashboard.publish`), in order:
  1. log in (JWT) and take a CSRF token: a server that is down or refuses the login fails here, before
     anything is written anywhere;
  2. prepare the data Superset reads (locally: publish the serving copy of the KPI schema);
  3. import the bundle with the lane's database rendered into it (`/api/v1/assets/import/`: one
     transaction, every object upserted by uuid, so re-publishing never duplicates anything);
  4. refresh a dataset whose table's column names differ from the dataset's (the import resets a
     dataset's columns to the bundle's; the refresh re-reads them from the table).
Verifying (`verify`) compares Superset with the warehouse: each dataset's columns with its table's, and
each chart's numbers, fetched through `/api/v1/chart/data` exactly as the chart's dataset and metrics
define them, with the same query run on the KPI table in the warehouse.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import prison
from dagster import ConfigurableResource

from resources.superset.bundle import BUNDLE_DIR, Bundle, ChartSpec, DatasetSpec, load_bundle
from resources.superset.client import SupersetError, SupersetSession
from resources.superset.connections import SupersetWarehouse

TableColumns = Callable[[str, str], list[str]]  # (schema, table) -> column names in the warehouse
if TYPE_CHECKING:
    # Imported when frames exist, not when the definitions load (see resources/warehouse/duckdb_warehouse.py).
    import pandas as pd

Query = Callable[[str], "pd.DataFrame"]  # read-only SQL on the warehouse


def list_query(columns: list[str], column: str, value: Any) -> str:
    """The `q` parameter of a Superset list endpoint (Rison, as Superset decodes it with `prison`): these
    columns of the rows whose `column` equals `value`."""
    return prison.dumps({"columns": columns, "filters": [{"col": column, "opr": "eq", "value": value}]})


@dataclass(frozen=True)
class PublishedSupersetDashboard:
    url: str
    dashboard_id: int
    dataset_ids: dict[str, int]  # dataset uuid -> id
    refreshed: tuple[str, ...]  # schema.table of the datasets refreshed from their tables
    prepared: dict[str, Any]


@dataclass
class Verification:
    """What the dashboard shows against what the warehouse holds; empty problem lists mean it matches."""

    dataset_problems: list[str] = field(default_factory=list)
    chart_problems: list[str] = field(default_factory=list)
    charts_checked: dict[str, int] = field(default_factory=dict)  # chart name -> rows compared


class SupersetDashboard(ConfigurableResource):
    """A Superset server and the warehouse connection its KPI datasets read."""

    url: str
    username: str
    password: str
    warehouse: SupersetWarehouse
    bundle_dir: str = str(BUNDLE_DIR)
    timeout_seconds: float = 60.0

    def bundle(self) -> Bundle:
        return load_bundle(Path(self.bundle_dir))

    @contextmanager
    def session(self) -> Iterator[SupersetSession]:
        session = SupersetSession(self.url, self.username, self.password, self.timeout_seconds)
        try:
            yield session
        finally:
            session.close()

    def dashboard_url(self, bundle: Bundle) -> str:
        return f"{self.url.rstrip('/')}/superset/dashboard/{bundle.dashboard_slug}/"

    def publish(self, table_columns: TableColumns) -> PublishedSupersetDashboard:
        bundle = self.bundle()
        with self.session() as session:
            prepared = self.warehouse.prepare()
            archive = bundle.zip_with_database(self.warehouse.database_config())
            session.post(
                "/api/v1/assets/import/",
                files={"bundle": ("cumulus_kpis.zip", archive, "application/zip")},
                data={"passwords": json.dumps(self.warehouse.passwords())},
            )
            dashboard_id = _id_by_uuid(session, "dashboard", bundle.dashboard_uuid)
            dataset_ids = {d.uuid: _id_by_uuid(session, "dataset", d.uuid) for d in bundle.datasets}
            refreshed = []
            for dataset in bundle.datasets:
                ours = _dataset_columns(session, dataset_ids[dataset.uuid])
                if ours != table_columns(dataset.schema, dataset.table):
                    session.put(f"/api/v1/dataset/{dataset_ids[dataset.uuid]}/refresh")
                    refreshed.append(dataset.qualified_name)
        return PublishedSupersetDashboard(
            self.dashboard_url(bundle), dashboard_id, dataset_ids, tuple(refreshed), prepared
        )

    def verify(self, table_columns: TableColumns, query: Query) -> Verification:
        bundle = self.bundle()
        result = Verification()
        with self.session() as session:
            for dataset in bundle.datasets:
                problem = _dataset_problem(session, dataset, table_columns(dataset.schema, dataset.table))
                if problem:
                    result.dataset_problems.append(problem)
            dashboard_id = _id_by_uuid(session, "dashboard", bundle.dashboard_uuid)
            shown = session.get(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
            if len(shown) != len(bundle.charts):
                result.chart_problems.append(
                    f"the dashboard shows {len(shown)} charts, the bundle has {len(bundle.charts)}"
                )
            for chart in bundle.charts:
                try:
                    problem, rows = _chart_problem(session, chart, query)
                except SupersetError as error:
                    problem, rows = f"{chart.name}: {error}", 0
                if problem:
                    result.chart_problems.append(problem)
                else:
                    result.charts_checked[chart.name] = rows
        return result


def _id_by_uuid(session: SupersetSession, kind: str, uuid: str) -> int:
    ids = session.get(f"/api/v1/{kind}/", params={"q": list_query(["id"], "uuid", uuid)})["ids"]
    if len(ids) != 1:
        raise SupersetError(f"Superset at {session.url} has {len(ids)} {kind}s with uuid {uuid} after the import")
    return ids[0]


def _dataset_columns(session: SupersetSession, dataset_id: int) -> list[str]:
    columns = session.get(f"/api/v1/dataset/{dataset_id}")["result"]["columns"]
    return sorted(c["column_name"] for c in columns if not c.get("expression"))


def _dataset_problem(session: SupersetSession, dataset: DatasetSpec, table: list[str]) -> str | None:
    """Why the dataset no longer matches its table: columns the bundle needs that the table lacks, or
    Superset's columns differing from the table's (not refreshed since the table changed)."""
    if not table:
        return f"{dataset.qualified_name}: the table does not exist in the warehouse"
    missing = [c for c in dataset.columns if c not in table]
    if missing:
        return f"{dataset.qualified_name}: the table has no column {', '.join(missing)} that the dashboard uses"
    dataset_id = _id_by_uuid(session, "dataset", dataset.uuid)
    ours = _dataset_columns(session, dataset_id)
    if ours != sorted(table):
        return f"{dataset.qualified_name}: Superset's dataset has columns {ours}, the table has {sorted(table)}"
    return None


def _chart_problem(session: SupersetSession, chart: ChartSpec, query: Query) -> tuple[str | None, int]:
    """Fetch the chart's numbers from Superset and compare them with the KPI table; (problem, rows)."""
    found = session.get(
        "/api/v1/chart/",
        params={"q": list_query(["id", "datasource_id"], "uuid", chart.uuid)},
    )["result"]
    if len(found) != 1:
        return f"{chart.name}: {len(found)} charts with its uuid in Superset", 0
    dims = list(chart.dimensions)
    body = {
        "datasource": {"id": found[0]["datasource_id"], "type": "table"},
        "queries": [
            {
                "columns": dims,
                "metrics": list(chart.metrics),
                "orderby": [[d, True] for d in dims],
                "row_limit": 100_000,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    answer = session.post("/api/v1/chart/data", json=body)["result"][0]
    names = [*dims, *chart.metrics]
    shown = [tuple(row[n] for n in names) for row in answer["data"]]
    expected = [tuple(row) for row in query(chart.expected_sql())[names].itertuples(index=False)]
    if len(shown) != len(expected):
        return (
            f"{chart.name}: Superset returns {len(shown)} rows, the KPI table {chart.dataset.table} {len(expected)}",
            0,
        )
    for got, want in zip(sorted(shown, key=_sort_key), sorted(expected, key=_sort_key), strict=True):
        if not all(_same(a, b) for a, b in zip(got, want, strict=True)):
            return f"{chart.name}: Superset shows {_show(got)} where {chart.dataset.table} has {_show(want)}", 0
    return None, len(shown)


def _normal(value: Any) -> Any:
    """One form for a value from either side: dates as ISO days, numbers as floats, missing as None."""
    from pandas import NaT

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is NaT:
        return None
    if isinstance(value, datetime | date):  # pandas' Timestamp is a datetime
        return value.isoformat()[:10]
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _temporal_from_superset(value: Any) -> Any:
    return datetime.fromtimestamp(value / 1000, tz=UTC).date().isoformat() if isinstance(value, int | float) else value


def _same(shown: Any, expected: Any) -> bool:
    want = _normal(expected)
    got = _normal(_temporal_from_superset(shown) if isinstance(want, str) and len(want) == 10 else shown)
    if isinstance(got, float) and isinstance(want, float):
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9)
    return got == want


def _sort_key(row: tuple) -> tuple:
    return tuple(str(_normal(_temporal_from_superset(v) if i == 0 else v)) for i, v in enumerate(row))


def _show(row: tuple) -> str:
    return "(" + ", ".join(str(_normal(v)) for v in row) + ")"
