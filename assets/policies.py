"""Policies, declared once: when assets update themselves, how fresh users can expect them, who owns them.

A pipeline declares a `PipelinePolicy` (its owners and the freshness it promises per asset family) and
puts each of its assets in a family: raw files, raw tables, intermediate models, user-facing tables and
dashboards. Nothing is guessed from key names; `definitions.py` then fills in the house owner where a
pipeline named none. tests/test_freshness.py checks that every user-facing asset has a freshness policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from dagster import (
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    FreshnessPolicy,
    map_asset_specs,
)

from assets.partitions import BUSINESS_TIMEZONE

OWNERS = ["team:data-platform"]
FAMILY_TAG = "cumulus/family"
PIPELINE_TAG = "cumulus/pipeline"


class AssetFamily(StrEnum):
    """What an asset is to its users, which decides the freshness a pipeline promises for it."""

    RAW_FILES = "raw_files"  # files landed from outside (external assets)
    RAW_TABLE = "raw_table"  # the warehouse's copy of landed files
    MODEL = "model"  # intermediate models (staging, marts) read by other models
    USER_FACING = "user_facing"  # tables and dashboards people read


@dataclass(frozen=True)
class PipelinePolicy:
    """A pipeline's owners and the freshness it promises per asset family (families absent: none)."""

    pipeline: str
    freshness: Mapping[AssetFamily, FreshnessPolicy]
    owners: list[str] = field(default_factory=lambda: list(OWNERS))

    def declare(self, family: AssetFamily, spec: AssetSpec) -> AssetSpec:
        """The spec in `family`: tagged, owned and, where the family has one, with its freshness policy."""
        return spec.merge_attributes(tags={FAMILY_TAG: family.value, PIPELINE_TAG: self.pipeline}).replace_attributes(
            owners=spec.owners or self.owners,
            freshness_policy=spec.freshness_policy or self.freshness.get(family),
        )

    def assets(
        self, family: AssetFamily | Callable[[AssetSpec], AssetFamily], assets: Iterable[AssetsDefinition | AssetSpec]
    ) -> list[AssetsDefinition | AssetSpec]:
        """`assets` with every spec declared in `family` (or the family a function picks per spec)."""
        pick = family if callable(family) else (lambda _spec: family)
        return list(map_asset_specs(lambda spec: self.declare(pick(spec), spec), list(assets)))


# How often the new-file sensors and the automation sensor tick. A landed day reaches its KPI row after
# one tick of each plus two runs (each ~8 s of process start-up, then ~2 s of loads and ~15 s of dbt),
# so the ticks are most of the wait: 30-s ticks measured 80 s from file to KPI row (median of 3, figure 5
# of docs/BENCHMARKS.md). A tick is cheap: bounded listing (figure 4), automation over ~20 assets.
SENSOR_TICK_SECONDS = 15

# The KPI pipeline's deadlines (assets/kpi/__init__.py declares them).
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


def apply_global_policies(spec: AssetSpec) -> AssetSpec:
    """The house owner on every asset whose pipeline named none."""
    return spec if spec.owners else spec.replace_attributes(owners=OWNERS)
