"""cumulus: settings -> resources -> the pipelines' Definitions merged -> global policies, built when loaded."""

from __future__ import annotations

import dagster as dg

from assets.kpi import kpi_definitions
from assets.policies import apply_global_policies, automation_sensor
from resources.lanes import build_executor, build_resources
from resources.settings import Settings, load_settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    pipelines = [kpi_definitions(with_superset=settings.superset is not None)]
    shared = dg.Definitions(
        sensors=[automation_sensor()], resources=build_resources(settings), executor=build_executor(settings)
    )
    return dg.Definitions.merge(*pipelines, shared).map_resolved_asset_specs(func=apply_global_policies)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
