"""Global policies, declared once: when assets update themselves, how fresh users can expect them, who
owns them. `definitions.py` applies them to every asset; pipelines only say which family an asset is in.
"""

from __future__ import annotations

from datetime import timedelta

from dagster import (
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    FreshnessPolicy,
)

from assets.partitions import BUSINESS_TIMEZONE

OWNERS = ["team:data-platform"]

# How often the new-file sensors and the automation sensor tick. A landed day reaches its KPI row after
# one tick of each plus two runs (each ~8 s of process start-up, then ~2 s of loads and ~15 s of dbt),
# so the ticks are most of the wait: 30-s ticks measured 80 s from file to KPI row (median of 3, figure 5
# of docs/BENCHMARKS.md). A tick is cheap: bounded listing (figure 4), automation over ~20 assets.
SENSOR_TICK_SECONDS = 15

# Exports of day D land after midnight KST: expected by 06:00 on D+1.
RAW_FILES_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron="0 6 * * *", lower_bound_delta=timedelta(hours=6), timezone=BUSINESS_TIMEZONE
)
# KPI tables (and the dashboard) for day D are expected by 09:00 KST on D+1.
KPI_FRESHNESS = FreshnessPolicy.cron(
    deadline_cron="0 9 * * *", lower_bound_delta=timedelta(hours=9), timezone=BUSINESS_TIMEZONE
)


def follows_upstream() -> AutomationCondition:
    """Rebuild a partition when one of its upstream partitions updated, for any day (not only the
    latest, unlike `eager()`: late files and status restatements touch past days), and never while an
    upstream partition is missing or running, so a day whose raw inputs have not all landed is not built.
    """
    return AutomationCondition.eager().without(AutomationCondition.in_latest_time_window())


def follows_any_upstream_update() -> AutomationCondition:
    """For an unpartitioned view over partitioned tables: refresh after any upstream partition updates."""
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("refresh on any upstream update")


def automation_sensor() -> AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions; running by default so `make dev` reacts at once."""
    return AutomationConditionSensorDefinition(
        "automation_sensor",
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=SENSOR_TICK_SECONDS,
    )


def freshness_for(spec: AssetSpec) -> FreshnessPolicy | None:
    """Freshness where users read: landed files, KPI tables and dashboards; none on intermediate models."""
    path = spec.key.path
    if path[0] in ("s3", "gcs"):
        return RAW_FILES_FRESHNESS
    if path[-1].startswith("kpi_") or path[0] == "dashboards":
        return KPI_FRESHNESS
    return None


def apply_global_policies(spec: AssetSpec) -> AssetSpec:
    """Owners and freshness on every asset, unless an asset declared its own."""
    freshness = spec.freshness_policy or freshness_for(spec)
    return spec.replace_attributes(owners=spec.owners or OWNERS, freshness_policy=freshness)
