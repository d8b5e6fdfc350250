"""Settings: the one environment switch, read and validated once, when the Definitions are built.

`CUMULUS_ENV` picks the lane (`local`, the default, or `cloud`); `CUMULUS_HOME` holds all local state
(default `.cumulus/` in the repository); `CUMULUS_PIPELINES` the pipelines to build (default all that
exist). In the cloud lane the settings of every system the enabled pipelines need
(resources/cloud_settings.py) are validated together: one error names every missing or invalid variable
and what it is for. Nothing here runs at import time; secret values are never part of a message or a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from resources.cloud_settings import (
    PIPELINE_SYSTEMS,
    GcpSettings,
    S3Settings,
    SnowflakeSettings,
    SystemSettings,
    problems,
)
from resources.superset.settings import SupersetSettings, SupersetSettingsError, superset_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
# dbt's own virtual environment (`make install`; the Makefile's DBT_VENV): dbt-core is not importable from
# the Dagster environment, which keeps it out of every Dagster process (assets/dbt_models.py says why).
DBT_VENV = REPO_ROOT / ".dbt-venv"
DBT_EXECUTABLE = DBT_VENV / "bin" / "dbt"
ENVIRONMENTS = ("local", "cloud")
# The pipelines this code base builds, in the order their Definitions are merged.
PIPELINES = ("kpi",)


class SettingsError(ValueError):
    """The environment does not describe a runnable deployment; the message names every problem."""


@dataclass(frozen=True)
class Settings:
    env: str
    home: Path
    pipelines: tuple[str, ...] = PIPELINES
    s3: S3Settings | None = None  # cloud lane only, when an enabled pipeline needs it
    snowflake: SnowflakeSettings | None = None
    gcp: GcpSettings | None = None
    superset: SupersetSettings | None = None  # None: no Superset dashboard (resources/superset/settings.py)

    @property
    def is_cloud(self) -> bool:
        return self.env == "cloud"

    @property
    def lake_root(self) -> Path:
        """The local folder standing in for the S3 and GCS buckets."""
        return self.home / "lake"

    @property
    def dbt_runs_dir(self) -> Path:
        """Each dbt invocation's artifacts and log (resources/dbt.py keeps the newest)."""
        return self.home / "dbt-runs"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file standing in for Snowflake, the central warehouse."""
        return self.home / "warehouse" / "snowflake.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def serving_copy_path(self) -> Path:
        """The read-only copy of the warehouse's KPI schema that Superset reads (local lane)."""
        return self.home / "warehouse" / "kpi_serving.duckdb"

    def subprocess_environment(self) -> dict[str, str]:
        """What subprocesses (dbt's profiles.yml) read to reach the same warehouse the assets write.

        Cloud settings come from the environment, which dbt inherits as it is: nothing to add, and no
        secret is copied into resource configuration (the UI shows resource config).
        """
        return {} if self.is_cloud else {"CUMULUS_WAREHOUSE_PATH": str(self.warehouse_path)}


def _pipelines(environ: Mapping[str, str]) -> tuple[str, ...]:
    raw = environ.get("CUMULUS_PIPELINES", "").strip()
    if not raw:
        return PIPELINES
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in raw.split(",") if p.strip()))
    unknown = [p for p in chosen if p not in PIPELINES]
    if unknown:
        raise SettingsError(
            f"CUMULUS_PIPELINES: unknown pipeline(s) {', '.join(unknown)}; built: {', '.join(PIPELINES)}"
        )
    return chosen


def _cloud_systems(environ: Mapping[str, str], pipelines: tuple[str, ...]) -> dict[type, SystemSettings]:
    """The settings of every system the pipelines need, validated together."""
    needed = list(dict.fromkeys(model for p in pipelines for model in PIPELINE_SYSTEMS[p]))
    found, lines = {}, []
    for model in needed:
        try:
            found[model] = model.from_environment(environ)
        except ValidationError as error:
            lines.extend(problems(model, error))
    if lines:
        enabled = ", ".join(pipelines)
        raise SettingsError(
            f"CUMULUS_ENV=cloud with pipelines {enabled} needs {len(lines)} more or corrected environment "
            "variable(s):\n" + "\n".join(lines)
        )
    return found


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("CUMULUS_ENV", "local").strip().lower() or "local"
    if env not in ENVIRONMENTS:
        raise SettingsError(f"CUMULUS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}")
    home = Path(environ.get("CUMULUS_HOME") or REPO_ROOT / ".cumulus").expanduser().resolve()
    pipelines = _pipelines(environ)
    systems = _cloud_systems(environ, pipelines) if env == "cloud" else {}
    try:
        superset = superset_settings(environ, cloud=env == "cloud")
    except SupersetSettingsError as error:
        raise SettingsError(str(error)) from None
    return Settings(
        env=env,
        home=home,
        pipelines=pipelines,
        s3=systems.get(S3Settings),
        snowflake=systems.get(SnowflakeSettings),
        gcp=systems.get(GcpSettings),
        superset=superset,
    )
