"""The dbt projects (one per warehouse), the resource that runs each, and the guard on dagster-dbt internals.

Kept in its own module because each manifest must exist before any asset module is imported
(`dbt parse`, run by `make manifest` for every dbt/<project>/).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import distributions, version
from pathlib import Path
from typing import Any

from dagster import get_dagster_logger
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from packaging.version import Version

from resources.settings import DBT_EXECUTABLE, DBT_VENV, REPO_ROOT, Settings
from resources.warehouse.duckdb_lock import wait_for_write_lock

DBT_PROJECTS_DIR = REPO_ROOT / "dbt"
# What dagster-dbt starts: dbt, tied to the life of the process that starts it (see the script).
DBT_LAUNCHER = Path(__file__).with_name("dbt_dies_with_parent.sh")
LAUNCHED_DBT_VARIABLE = "CUMULUS_DBT_EXECUTABLE"
# The dagster-dbt this module's overrides of private members (below) and assets/dbt_models.py's use of its
# spec builder were written against; uv.lock pins it.
PINNED_DAGSTER_DBT = "0.29.27"
PRIVATE_MEMBERS = ("_get_unique_target_path", "_cli_version", "_initialize_dbt_core_adapter")


class UnsupportedDagsterDbt(RuntimeError):
    """The installed dagster-dbt is not the one whose internals cumulus overrides."""


def require_pinned_dagster_dbt(installed: str | None = None) -> None:
    """Refuse to build the dbt assets on another dagster-dbt than the pinned one, naming the fix.

    cumulus overrides private members of `DbtCliResource` (two start-up costs and where artifacts go) and
    builds its specs with `dagster_dbt.asset_utils.build_dbt_specs`; their meaning may change in any release.
    """
    installed = installed or version("dagster-dbt")
    missing = [name for name in PRIVATE_MEMBERS if not hasattr(DbtCliResource, name)]
    if installed != PINNED_DAGSTER_DBT or missing:
        raise UnsupportedDagsterDbt(
            f"dagster-dbt {installed} is installed, but cumulus overrides internals of {PINNED_DAGSTER_DBT} "
            f"({', '.join(PRIVATE_MEMBERS)}; dagster_dbt.asset_utils.build_dbt_specs)"
            + (f", and {', '.join(missing)} no longer exist" if missing else "")
            + ". Install the locked versions (`make install`), or check resources/dbt.py and assets/dbt_models.py "
            "against the new release and raise PINNED_DAGSTER_DBT."
        )


@dataclass(frozen=True)
class DbtProjectSpec:
    """One dbt project of the repository: its folder under dbt/, its resource key, its target per lane."""

    name: str
    resource_key: str
    local_target: str
    cloud_target: str

    @property
    def project_dir(self) -> Path:
        return DBT_PROJECTS_DIR / self.name

    @cached_property
    def project(self) -> DbtProject:
        return DbtProject(project_dir=self.project_dir, profiles_dir=self.project_dir)

    def target(self, settings: Settings) -> str:
        return self.cloud_target if settings.is_cloud else self.local_target


# The KPI pipeline's project: DuckDB locally, Snowflake in the cloud.
KPI_DBT = DbtProjectSpec(name="kpi", resource_key="dbt_kpi", local_target="duckdb", cloud_target="snowflake")


def dbt_core_version(venv: Path = DBT_VENV) -> Version:
    """The dbt-core installed in dbt's environment, read from its package metadata (no dbt start-up)."""
    found = [
        d.version
        for d in distributions(path=[str(p) for p in venv.glob("lib/python*/site-packages")])
        if d.metadata["Name"] == "dbt-core"
    ]
    if not found:
        raise FileNotFoundError(f"dbt-core is not installed in {venv}: run `make install`")
    return Version(found[0])


@contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# A run that builds some of the models (automation requests a day's sales models while the products of
# that day are still loading) runs only the tests whose every parent it builds. dbt's default, "eager",
# also runs a test comparing a built model with one it did not build (kpi_daily_category_sales' sums_match
# against kpi_daily_sales), which then reads the other's stale rows and fails the run although nothing is
# wrong. Whole builds select every parent, so they run every test either way; when Dagster selects checks
# one by one, dagster-dbt overrides this with "empty" and names the tests.
TEST_SELECTION = {"DBT_INDIRECT_SELECTION": "cautious"}


class WarehouseDbtResource(DbtCliResource):
    """dbt, started with the environment its profile reads (e.g. the local warehouse file), once the local
    warehouse file's lock is free, and tied to the life of the process that starts it.

    The values travel with the resource rather than through the process environment, so two
    Definitions built from different settings in one process (tests do this) never cross wires.
    """

    profile_environment: dict[str, str] = {}
    runs_dir: str = ""
    """Where each invocation's target folder goes (artifacts, dbt.log); default: dbt's own `target/`."""
    launched_dbt: str = ""
    """The dbt that `dbt_executable` starts when that is DBT_LAUNCHER; empty: `dbt_executable` is dbt."""
    warehouse_file: str = ""
    """The DuckDB file dbt writes (local lane), whose lock an invocation waits for; empty: none."""
    lock_timeout_seconds: float = 300.0

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        if self.warehouse_file:
            # dbt fails at once on a file another process holds (a load, an analyst's read-only session), as
            # DuckDB does; the loads wait for it (DuckDBWarehouse.connect), and so does dbt, from here. A
            # process taking the file in the ~3 s between this wait and dbt's own open still fails the step.
            context = kwargs.get("context")
            log = context.log if context is not None else get_dagster_logger()
            wait_for_write_lock(Path(self.warehouse_file), self.lock_timeout_seconds, log)
        launched = {LAUNCHED_DBT_VARIABLE: self.launched_dbt} if self.launched_dbt else {}
        # dagster-dbt starts the subprocess inside cli() and copies os.environ at that moment.
        with _environment({**self.profile_environment, **TEST_SELECTION, **launched}):
            return super().cli(args, **kwargs)

    def _get_unique_target_path(self, *, context: Any) -> Path:
        """Each invocation's artifacts in the cumulus home, not in the source tree, keeping the newest
        `KEPT_INVOCATIONS` for debugging: they held 3.7 MB each and had reached 680 MB in dbt/target/."""
        path = super()._get_unique_target_path(context=context)
        if not self.runs_dir:
            return path
        runs = Path(self.runs_dir)
        runs.mkdir(parents=True, exist_ok=True)
        prune_invocations(runs, keep=KEPT_INVOCATIONS)
        return runs / path.name

    # Two start-up costs dagster-dbt pays in every step that runs dbt, which this project does not need
    # (measured in-process on a 3-day build whose dbt process ran 11 s: 4.9 s and 4.1 s of 23.6 s):
    @cached_property
    def _cli_version(self) -> Version:
        """dagster-dbt runs `dbt --version` in a subprocess to tell dbt Core from Fusion. The executable is
        dbt's own environment's (`dbt_resource`), so the dbt-core installed there is the answer."""
        return dbt_core_version(Path(self.launched_dbt or self.dbt_executable).parent.parent)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """dagster-dbt loads dbt's macros into an in-process adapter, used only by `fetch_row_counts()` and
        `fetch_column_metadata()`. This project reads row counts and schemas through its own warehouse
        resource after dbt exits (assets/dbt_models.with_table_stats), so no adapter is built."""
        return None


KEPT_INVOCATIONS = 20
STILL_RUNNING_S = 6 * 3600  # never prune a folder written to this recently: a concurrent run may use it


def prune_invocations(runs: Path, keep: int) -> None:
    """Delete the invocation folders beyond the newest `keep`, unless one was written to recently."""
    folders = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        if time.time() - folder.stat().st_mtime > STILL_RUNNING_S:
            shutil.rmtree(folder, ignore_errors=True)


def dbt_resource(settings: Settings, spec: DbtProjectSpec = KPI_DBT) -> WarehouseDbtResource:
    require_pinned_dagster_dbt()
    return WarehouseDbtResource(
        project_dir=spec.project,
        profiles_dir=str(spec.project_dir),
        target=spec.target(settings),
        dbt_executable=str(DBT_LAUNCHER),
        # dbt's own environment's, so nothing depends on PATH.
        launched_dbt=str(DBT_EXECUTABLE),
        profile_environment=settings.subprocess_environment(),
        runs_dir=str(settings.dbt_runs_dir),
        warehouse_file="" if settings.is_cloud else str(settings.warehouse_path),
    )
