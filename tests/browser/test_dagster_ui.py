"""`make dev`'s Dagster UI in a real browser: the asset graph, a one-day run and a three-day backfill
launched by clicking, then the KPI table checked in the lane's DuckDB warehouse.

The instance's sensors are stopped before the server starts (`stop_sensors`): with them running, the
landing sensor would load every landed day at once and the automation sensor would follow up on each
materialization, so the runs and their timing would not be the ones this test launches. The test
checks at the end that its own runs are the only ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from playwright.sync_api import Page, expect

from assets.kpi.keys import GROUP
from assets.partitions import BUSINESS_TIMEZONE
from cli.demo import record_landed_files
from definitions import build_definitions
from devtools.dagster_server import DagsterDev, dagster_dev, instance_environment, stop_sensors
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import Settings
from tests.browser.dagster_ui import (
    GRAPH_NODE,
    choose_partitions,
    filter_assets,
    launch,
    names_missing_from,
    node_labels,
    open_asset_graph,
    open_materialize_dialog,
)
from tests.kpi_oracle import daily_kpis

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Tiny days keep each run short: its time is Dagster's and dbt's per-step overhead, not the data.
CONFIG = ShopConfig(seed=7, orders_per_day=15)
# Four recent business days (the dialog shows the last 90 days of partitions by default): one run for
# the first day, then a backfill of the next three. The latest daily partition is yesterday in Seoul.
LAST_COMPLETE_DAY = datetime.now(ZoneInfo(BUSINESS_TIMEZONE)).date() - timedelta(days=1)
FIRST = LAST_COMPLETE_DAY - timedelta(days=4)
BACKFILL = [FIRST + timedelta(days=i) for i in (1, 2, 3)]
# The daily KPI pipeline: the raw tables (kind snowflake) and the dbt models tagged daily, which one run
# per partition range materializes (single-run backfill policy).
DAILY_SELECTION = "kind:snowflake or tag:daily"
RUN_TIMEOUT = 600.0  # seconds; a run takes ~30 s on a quiet 2-core machine, minutes when it is busy


@dataclass
class KpiUi:
    dev: DagsterDev
    settings: Settings
    defs: dg.Definitions


@pytest.fixture
def kpi_ui(tmp_path: Path, artifacts: Path) -> Iterator[KpiUi]:
    """Shop exports of FIRST..FIRST+3 landed and recorded as the sensor would, sensors stopped, then
    `dagster dev` on a free port over this lane's own CUMULUS_HOME and DAGSTER_HOME."""
    home = tmp_path / "cumulus"
    env = instance_environment(home)
    settings = Settings(env="local", home=home)
    defs = build_definitions(settings)
    generate_shop_exports(defs.resources["s3"], FIRST, 4, CONFIG)
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert record_landed_files(defs, instance) >= 16  # 4 tables x 4 days (+ late re-deliveries)
        stop_sensors(instance, [sensor.name for sensor in defs.sensors])
    with dagster_dev(env, artifacts / "dagster-dev.log") as dev:
        assert set(dev.sensor_statuses().values()) == {"STOPPED"}, dev.sensor_statuses()
        dev.mark_community_prompt_seen()
        yield KpiUi(dev, settings, defs)


def group_asset_names(defs: dg.Definitions, group: str) -> list[str]:
    graph = defs.resolve_asset_graph()
    return [key.path[-1] for key in graph.get_all_asset_keys() if graph.get(key).group_name == group]


def daily_asset_count(defs: dg.Definitions) -> int:
    graph = defs.resolve_asset_graph()
    keys = graph.materializable_asset_keys
    return sum(1 for k in keys if isinstance(graph.get(k).partitions_def, dg.DailyPartitionsDefinition))


def test_kpi_pipeline_from_the_dagster_ui(page: Page, steps, kpi_ui: KpiUi):
    dev = kpi_ui.dev

    # The asset graph of group kpi shows every asset: landed files, raw tables, dbt models, KPI tables
    # and the dashboard.
    names = group_asset_names(kpi_ui.defs, GROUP)
    open_asset_graph(page, dev.url, GROUP)
    expect(page.locator(GRAPH_NODE)).to_have_count(len(names))
    steps.shot("asset-graph")
    assert names_missing_from(node_labels(page), names) == []

    # The daily pipeline for one day: filter the graph, "Materialize all…", one partition, "Launch 1 run".
    filter_assets(page, DAILY_SELECTION)
    expect(page.locator(GRAPH_NODE)).to_have_count(daily_asset_count(kpi_ui.defs))
    steps.shot("daily-kpi-assets")
    dialog = open_materialize_dialog(page)
    choose_partitions(dialog, FIRST.isoformat())
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    steps.shot("materialize-one-day")
    launch(dialog, "Launch 1 run", RUN_TIMEOUT * 1000)
    (run,) = dev.wait_for_runs({"dagster/partition": FIRST.isoformat()}, RUN_TIMEOUT)
    page.goto(f"{dev.url}/runs/{run['runId']}")
    expect(page.get_by_text("RUN_SUCCESS", exact=True)).to_be_visible()  # the run's event log, loaded
    steps.shot("one-day-run-succeeded")

    # A three-day backfill from the same dialog: a partition range, "Launch backfill".
    open_asset_graph(page, dev.url, GROUP)
    filter_assets(page, DAILY_SELECTION)
    dialog = open_materialize_dialog(page)
    choose_partitions(dialog, f"[{BACKFILL[0]}...{BACKFILL[-1]}]")
    expect(dialog.get_by_text("3 partitions", exact=True)).to_be_visible()
    steps.shot("backfill-three-days")
    launch(dialog, "Launch backfill", RUN_TIMEOUT * 1000)
    backfill_id = dev.latest_backfill_id()
    backfill_runs = dev.wait_for_backfill(backfill_id, RUN_TIMEOUT)
    page.goto(f"{dev.url}/runs/b/{backfill_id}")
    expect(page.get_by_text(re.compile(rf"^{BACKFILL[0]}(…|\.\.\.){BACKFILL[-1]}$"))).to_be_visible()
    steps.shot("backfill-succeeded")

    # Only the runs launched here ran (the sensors stayed stopped).
    ours = {run["runId"], *(r["runId"] for r in backfill_runs)}
    assert {r["runId"] for r in dev.runs()} == ours

    # The KPI table holds the four days, with the numbers computed independently from the landed files.
    warehouse = kpi_ui.defs.resources["snowflake"]
    table = warehouse.query("SELECT order_date, orders, gmv FROM kpi.kpi_daily_sales ORDER BY order_date")
    expected = daily_kpis(kpi_ui.defs.resources["s3"])
    days = [FIRST, *BACKFILL]
    assert [d.date() for d in table["order_date"]] == days
    assert [(r.orders, r.gmv) for r in table.itertuples()] == [(expected[d].orders, expected[d].gmv) for d in days]
