"""Settings: the one environment switch, read and validated once, when the Definitions are built.

`CUMULUS_ENV` picks the lane (`local`, the default, or `cloud`); `CUMULUS_HOME` holds all local state
(default `.cumulus/` in the repository). Nothing here runs at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("local", "cloud")


class SettingsError(ValueError):
    """The environment does not describe a runnable deployment; the message names every problem."""


@dataclass(frozen=True)
class Settings:
    env: str
    home: Path

    @property
    def lake_root(self) -> Path:
        """The local folder standing in for the S3 and GCS buckets."""
        return self.home / "lake"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file standing in for Snowflake, the central warehouse."""
        return self.home / "warehouse" / "snowflake.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_target(self) -> str:
        return "duckdb" if self.env == "local" else "snowflake"

    def subprocess_environment(self) -> dict[str, str]:
        """What subprocesses (dbt) need to find the same warehouse the assets write."""
        return {"CUMULUS_WAREHOUSE_PATH": str(self.warehouse_path)}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    env = environ.get("CUMULUS_ENV", "local").strip().lower() or "local"
    if env not in ENVIRONMENTS:
        raise SettingsError(f"CUMULUS_ENV must be one of {', '.join(ENVIRONMENTS)}; got {env!r}")
    if env == "cloud":
        raise SettingsError(
            "CUMULUS_ENV=cloud is not available yet: the cloud lane (S3 + Snowflake resources) is "
            "tracked as its own issue. Use CUMULUS_ENV=local."
        )
    home = Path(environ.get("CUMULUS_HOME") or REPO_ROOT / ".cumulus").expanduser().resolve()
    return Settings(env=env, home=home)
