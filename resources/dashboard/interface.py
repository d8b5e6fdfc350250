"""The KPI dashboard: where the KPI tables are published for people to read.

`KpiDashboard` takes the KPI tables and publishes them; its one implementation, `HtmlReportDashboard`,
writes a self-contained HTML report to a folder, in both lanes (the `dashboard` resource, asset
`dashboards/kpi_report`). Superset does not implement this interface: `resources/superset/dashboard.py`'s
`SupersetDashboard` is its own resource (`superset`, present only when CUMULUS_SUPERSET_URL is set) that
imports the dashboard bundle of superset/bundle/ and verifies its charts against the warehouse, for the
asset `dashboards/kpi_superset`.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

if TYPE_CHECKING:
    # Imported when a report is rendered, not when the definitions load (see resources/warehouse/duckdb_warehouse.py).
    import pandas as pd

REPORT_FILENAME = "kpi_report.html"


# eq=False: DataFrames have no single truth value, so a generated __eq__/__hash__ would only raise.
@dataclass(frozen=True, eq=False)
class KpiTables:
    """The KPI tables read from the warehouse. Money in whole KRW; `cancel_rate` a fraction (0.034 = 3.4%).

    daily:       order_date, gmv, net_revenue, orders, buyers, new_buyers, aov, items_sold, cancel_rate
    by_category: order_date, category, gmv, items_sold, orders, buyers
    weekly:      week_start, then the daily measures
    monthly:     month_start, then the daily measures
    source:      which tables (and run or snapshot) these were read from; printed in the report footer
                 instead of a wall-clock time, so an unchanged input republishes unchanged bytes.
    """

    daily: pd.DataFrame
    by_category: pd.DataFrame
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    source: str = "the warehouse KPI tables"


@dataclass(frozen=True)
class PublishedDashboard:
    """Where a published dashboard can be opened, and which charts it shows."""

    url: str  # file:// URL locally; the Superset dashboard URL in the cloud
    location: str  # a path locally; the dashboard id in the cloud
    charts: tuple[str, ...]


class KpiDashboard(ConfigurableResource, ABC):
    """Publishes the KPI tables as a dashboard."""

    @abstractmethod
    def publish(self, tables: KpiTables, title: str) -> PublishedDashboard:
        """Replace the dashboard's content with these tables; publishing the same tables twice is a no-op
        for readers."""


def write_atomically(path: Path, data: bytes) -> None:
    """Readers (a browser refreshing, a sync job) see the old report or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it 0600; a report is meant to be read by others
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class HtmlReportDashboard(KpiDashboard):
    """The local dashboard: one HTML file that opens offline, at `<output_dir>/kpi_report.html`."""

    output_dir: str

    def publish(self, tables: KpiTables, title: str) -> PublishedDashboard:
        from resources.dashboard.html_report import render_report

        rendered = render_report(
            tables.daily,
            tables.by_category,
            tables.weekly,
            tables.monthly,
            title=title,
            generated_from=tables.source,
        )
        path = (Path(self.output_dir) / REPORT_FILENAME).resolve()
        write_atomically(path, rendered.html.encode("utf-8"))
        return PublishedDashboard(url=path.as_uri(), location=str(path), charts=rendered.charts)
