"""cumulus: settings -> resources -> the pipelines' assets -> global policies, built when loaded."""

from __future__ import annotations

import dagster as dg

from assets import kpi, superset_dashboard
from assets.policies import apply_global_policies, automation_sensor
from resources.lanes import build_executor, build_resources
from resources.settings import Settings, load_settings


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    # The Superset dashboard only where a Superset is configured (assets/superset_dashboard.py says why).
    superset_assets = superset_dashboard.assets if settings.superset is not None else []
    defs = dg.Definitions(
        assets=[*kpi.assets, *superset_assets],
        sensors=[*kpi.sensors, automation_sensor()],
        resources=build_resources(settings),
        executor=build_executor(settings),
    )
    return defs.map_resolved_asset_specs(func=apply_global_policies)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
