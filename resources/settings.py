"""Settings: the one environment switch, read and validated once, when the Definitions are built.

`CUMULUS_ENV` picks the lane (`local`, the default, or `cloud`); `CUMULUS_HOME` holds all local state
(default `.cumulus/` in the repository). Nothing here runs at import time. A cloud lane with missing
variables is refused with every missing name and what it is for, in one error; secret values are never
part of a message or a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from resources.superset.settings import SupersetSettings, SupersetSettingsError, superset_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
# dbt's own virtual environment (`make install`; the Makefile's DBT_VENV): dbt-core is not importable from
# the Dagster environment, which keeps it out of every Dagster process (assets/dbt_models.py says why).
DBT_VENV = REPO_ROOT / ".dbt-venv"
DBT_EXECUTABLE = DBT_VENV / "bin" / "dbt"
ENVIRONMENTS = ("local", "cloud")

# Variable -> what it is for. Required in the cloud lane.
CLOUD_REQUIRED = {
    "CUMULUS_S3_BUCKET": "S3 bucket the service-DB exports land in (keys shop/<table>/dt=YYYY-MM-DD/...)",
    "SNOWFLAKE_ACCOUNT": "Snowflake account identifier (e.g. xy12345.ap-northeast-2.aws)",
    "SNOWFLAKE_USER": "Snowflake user the pipelines connect as",
    "SNOWFLAKE_PASSWORD": "that user's password (secret: never printed)",
    "SNOWFLAKE_ROLE": "role with USAGE on the warehouse and database, CREATE SCHEMA/TABLE/STAGE in it",
    "SNOWFLAKE_WAREHOUSE": "virtual warehouse that runs the loads and dbt",
    "SNOWFLAKE_DATABASE": "database holding the RAW, STAGING, MARTS and KPI schemas",
}
# Optional: endpoint overrides (emulators in tests) and region.
CLOUD_OPTIONAL = {
    "AWS_REGION": "AWS region of the bucket (default ap-northeast-2)",
    "CUMULUS_S3_ENDPOINT_URL": "S3 endpoint override, e.g. an emulator on 127.0.0.1",
    "SNOWFLAKE_HOST": "Snowflake host override (default: derived from the account)",
    "SNOWFLAKE_PORT": "Snowflake port override (default 443)",
    "SNOWFLAKE_PROTOCOL": "Snowflake protocol override (default https)",
}


class SettingsError(ValueError):
    """The environment does not describe a runnable deployment; the message names every problem."""


@dataclass(frozen=True)
class CloudSettings:
    s3_bucket: str
    aws_region: str
    s3_endpoint_url: str | None
    snowflake_account: str
    snowflake_user: str
    snowflake_password: str = field(repr=False)
    snowflake_role: str = ""
    snowflake_warehouse: str = ""
    snowflake_database: str = ""
    snowflake_host: str | None = None
    snowflake_port: int | None = None
    snowflake_protocol: str | None = None


@dataclass(frozen=True)
class Settings:
    env: str
    home: Path
    cloud: CloudSettings | None = None
    superset: SupersetSettings | None = None  # None: no Superset dashboard (resources/superset/settings.py)

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

    @property
    def dbt_target(self) -> str:
        return "duckdb" if self.env == "local" else "snowflake"

    def subprocess_environment(self) -> dict[str, str]:
        """What subprocesses (dbt's profiles.yml) read to reach the same warehouse the assets write.

        Cloud settings come from the environment, which dbt inherits as it is: nothing to add, and no
        secret is copied into resource configuration (the UI shows resource config).
        """
        return {"CUMULUS_WAREHOUSE_PATH": str(self.warehouse_path)} if self.cloud is None else {}


def _cloud_settings(environ: Mapping[str, str]) -> CloudSettings:
    missing = [name for name in CLOUD_REQUIRED if not environ.get(name, "").strip()]
    if missing:
        lines = "\n".join(f"  {name}: {CLOUD_REQUIRED[name]}" for name in missing)
        raise SettingsError(f"CUMULUS_ENV=cloud needs {len(missing)} more environment variable(s):\n{lines}")
    port = environ.get("SNOWFLAKE_PORT", "").strip()
    if port and not port.isdigit():
        raise SettingsError("SNOWFLAKE_PORT must be a port number")
    return CloudSettings(
        s3_bucket=environ["CUMULUS_S3_BUCKET"].strip(),
        aws_region=environ.get("AWS_REGION", "").strip() or "ap-northeast-2",
        s3_endpoint_url=environ.get("CUMULUS_S3_ENDPOINT_URL", "").strip() or None,
        snowflake_account=environ["SNOWFLAKE_ACCOUNT"].strip(),
        snowflake_user=environ["SNOWFLAKE_USER"].strip(),
        snowflake_password=environ["SNOWFLAKE_PASSWORD"],
        snowflake_role=environ["SNOWFLAKE_ROLE"].strip(),
        snowflake_warehouse=environ["SNOWFLAKE_WAREHOUSE"].strip(),
        snowflake_database=environ["SNOWFLAKE_DATABASE"].strip(),
        snowflake_host=environ.get("SNOWFLAKE_HOST", "").strip() or None,
        snowflake_port=int(port) if port else None,
        snowflake_protocol=environ.get("SNOWFLAKE_PROTOCOL", "").strip() or None,
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("CUMULUS_ENV", "local").strip().lower() or "local"
    if env not in ENVIRONMENTS:
        raise SettingsError(f"CUMULUS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}")
    home = Path(environ.get("CUMULUS_HOME") or REPO_ROOT / ".cumulus").expanduser().resolve()
    cloud = _cloud_settings(environ) if env == "cloud" else None
    try:
        superset = superset_settings(environ, cloud=cloud is not None)
    except SupersetSettingsError as error:
        raise SettingsError(str(error)) from None
    return Settings(env=env, home=home, cloud=cloud, superset=superset)
