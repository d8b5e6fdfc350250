"""Shared fixtures: an isolated cumulus home per lane, built the way `definitions.py` builds it."""

from __future__ import annotations

from collections.abc import Iterator, Set
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.kpi.dashboards import SUPERSET_DASHBOARD
from cli.runs import materialize_all_for_days, materialize_range
from definitions import build_definitions
from devtools.superset_server import starting_superset
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import Settings
from resources.storage.interface import ObjectStore
from resources.superset.settings import SupersetSettings
from resources.warehouse.interface import Warehouse


@dataclass
class Lane:
    """One deployment (local, or cloud on emulators): its settings, definitions, Dagster instance, bucket
    and warehouse."""

    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance

    @classmethod
    def build(cls, settings: Settings) -> Lane:
        """The lane `settings` describe, with its own ephemeral Dagster instance (dispose it when done)."""
        return cls(settings, build_definitions(settings), dg.DagsterInstance.ephemeral())

    @classmethod
    def local(cls, home: Path, superset: SupersetSettings | None = None) -> Lane:
        """A local lane over `home`; with `superset`, its definitions include the Superset dashboard."""
        return cls.build(Settings(env="local", home=home, superset=superset))

    @property
    def lake(self) -> ObjectStore:
        return self.defs.resources["s3"]

    @property
    def warehouse(self) -> Warehouse:
        return self.defs.resources["snowflake"]

    def daily_keys(self) -> list[dg.AssetKey]:
        graph = self.defs.resolve_asset_graph()
        return [
            k
            for k in graph.materializable_asset_keys
            if isinstance(graph.get(k).partitions_def, dg.DailyPartitionsDefinition)
        ]

    def run_days(
        self,
        first: date,
        last: date | None = None,
        keys: list[dg.AssetKey] | None = None,
        raise_on_error: bool = True,
        hooks: Set[dg.HookDefinition] = frozenset(),
    ) -> dg.ExecuteInProcessResult:
        last = last or first
        keys = keys or self.daily_keys()
        first_key, last_key = first.isoformat(), last.isoformat()
        return materialize_range(self.defs, self.instance, keys, first_key, last_key, raise_on_error, hooks)

    def run_everything(self, first: date, last: date, *, daily: bool = True):
        return materialize_all_for_days(self.defs, self.instance, first, last, daily=daily)

    def table(self, name: str, order_by: str) -> pd.DataFrame:
        return self.warehouse.query(f"SELECT * FROM {name} ORDER BY {order_by}").reset_index(drop=True)


@pytest.fixture
def make_lane(tmp_path_factory) -> Iterator:
    instances = []

    def make(name: str = "lane", home: Path | None = None) -> Lane:
        lane = Lane.local(home or tmp_path_factory.mktemp(name))
        instances.append(lane.instance)
        return lane

    yield make
    for instance in instances:
        instance.dispose()


def step_failures(result: dg.ExecuteInProcessResult) -> str:
    """The error messages (with causes) of a run's failed steps, as one string to match against."""
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                messages.append(error.message)
                error = error.cause
    return "\n".join(messages)


@pytest.fixture(scope="session")
def superset_starting(tmp_path_factory):
    """One real Superset for the session, started at once; `.ready()` waits for its first answer (its
    first start runs every migration: a minute or more), so a fixture can do other work meanwhile."""
    with starting_superset(tmp_path_factory.mktemp("superset-home")) as starting:
        yield starting


@pytest.fixture(scope="session")
def superset_server(superset_starting):
    return superset_starting.ready()


SUPERSET_LANE_FIRST = date(2026, 11, 2)
SUPERSET_LANE_DAYS = 2


@pytest.fixture(scope="session")
def superset_lane(superset_starting, tmp_path_factory):
    """Two days of shop data through the whole KPI graph (while Superset boots), then the dashboard
    published by the same definitions with Superset configured, as `make demo` does with the URL set.
    Shared by the API tests and the browser test; a test that changes the dashboard restores it."""
    home = tmp_path_factory.mktemp("superset-lane")
    kpi_run = Lane.local(home)
    last = SUPERSET_LANE_FIRST + timedelta(days=SUPERSET_LANE_DAYS - 1)
    generate_shop_exports(kpi_run.lake, SUPERSET_LANE_FIRST, SUPERSET_LANE_DAYS, ShopConfig(seed=3, orders_per_day=25))
    assert all(r.success for r in kpi_run.run_everything(SUPERSET_LANE_FIRST, last))
    kpi_run.instance.dispose()
    lane = Lane.local(home, superset=superset_starting.ready().settings())
    job = lane.defs.resolve_implicit_global_asset_job_def()
    lane.results = [job.execute_in_process(instance=lane.instance, asset_selection=[SUPERSET_DASHBOARD])]
    yield lane
    lane.instance.dispose()
