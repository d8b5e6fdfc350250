"""The dbt project: where it lives, how its manifest is prepared, and the resource that runs it.

Kept in its own module because the manifest must exist before any asset module is imported
(`dagster-dbt project prepare-and-package --file resources/dbt_project.py`, run by `make manifest`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from resources.settings import REPO_ROOT, Settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


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


class WarehouseDbtResource(DbtCliResource):
    """dbt, started with the environment its profile reads (e.g. the local warehouse file).

    The values travel with the resource rather than through the process environment, so two
    Definitions built from different settings in one process (tests do this) never cross wires.
    """

    profile_environment: dict[str, str] = {}

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        # dagster-dbt starts the subprocess inside cli() and copies os.environ at that moment.
        with _environment(self.profile_environment):
            return super().cli(args, **kwargs)


def dbt_resource(settings: Settings) -> WarehouseDbtResource:
    return WarehouseDbtResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        target=settings.dbt_target,
        # The dbt of this interpreter's environment, so nothing depends on PATH.
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
        profile_environment=settings.subprocess_environment(),
    )
