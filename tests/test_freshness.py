"""Freshness as each pipeline declares it per asset family (assets/policies.py), evaluated by Dagster's own
evaluator under a controlled clock: raw files by 06:00 KST, KPI tables by 09:00 KST on the next day."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.definitions.freshness_evaluator import FRESHNESS_EVALUATORS_BY_POLICY_TYPE
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

from assets.kpi.keys import KPI_TABLES
from assets.policies import FAMILY_TAG, KPI_FRESHNESS, PIPELINE_TAG, AssetFamily, PipelinePolicy

SEOUL = ZoneInfo("Asia/Seoul")
KPI_DAILY = dg.AssetKey(["snowflake", "kpi", "kpi_daily_sales"])
ORDER_FILES = dg.AssetKey(["s3", "shop", "orders"])


def freshness(defs: dg.Definitions, instance: dg.DagsterInstance, key: dg.AssetKey, now: datetime):
    node = defs.resolve_asset_graph().get(key)
    evaluator = FRESHNESS_EVALUATORS_BY_POLICY_TYPE[type(node.freshness_policy_or_from_metadata)]()
    with freeze_time(now):
        return asyncio.run(evaluator.evaluate_freshness(LoadingContextForTest(instance), node))


def materialize_at(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str, when: datetime) -> None:
    with freeze_time(when):
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))


def test_kpi_tables_are_fresh_when_built_before_nine_and_fail_when_the_next_day_is_late(make_lane):
    lane = make_lane()
    assert freshness(lane.defs, lane.instance, KPI_DAILY, datetime(2026, 11, 4, 10, tzinfo=SEOUL)) == (
        FreshnessState.UNKNOWN
    )
    materialize_at(lane.instance, KPI_DAILY, "2026-11-03", datetime(2026, 11, 4, 7, 30, tzinfo=SEOUL))
    assert freshness(lane.defs, lane.instance, KPI_DAILY, datetime(2026, 11, 4, 10, tzinfo=SEOUL)) == (
        FreshnessState.PASS
    )
    # No build for 11-04 by 09:00 on 11-05: failing, until it arrives.
    late = datetime(2026, 11, 5, 9, 1, tzinfo=SEOUL)
    assert freshness(lane.defs, lane.instance, KPI_DAILY, late) == FreshnessState.FAIL
    materialize_at(lane.instance, KPI_DAILY, "2026-11-04", datetime(2026, 11, 5, 9, 30, tzinfo=SEOUL))
    assert freshness(lane.defs, lane.instance, KPI_DAILY, datetime(2026, 11, 5, 10, tzinfo=SEOUL)) == (
        FreshnessState.PASS
    )


def test_raw_files_are_expected_by_six(make_lane):
    lane = make_lane()
    materialize_at(lane.instance, ORDER_FILES, "2026-11-03", datetime(2026, 11, 4, 0, 40, tzinfo=SEOUL))
    assert freshness(lane.defs, lane.instance, ORDER_FILES, datetime(2026, 11, 4, 6, 5, tzinfo=SEOUL)) == (
        FreshnessState.PASS
    )
    assert freshness(lane.defs, lane.instance, ORDER_FILES, datetime(2026, 11, 5, 6, 5, tzinfo=SEOUL)) == (
        FreshnessState.FAIL
    )


def test_every_asset_is_in_a_declared_family_and_every_user_facing_one_has_freshness(make_lane):
    graph = make_lane().defs.resolve_asset_graph()
    user_facing = set()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:data-platform"], key
        family = node.tags.get(FAMILY_TAG)
        assert family in {f.value for f in AssetFamily}, key
        assert node.tags.get(PIPELINE_TAG) == "kpi", key
        if family == AssetFamily.USER_FACING:
            user_facing.add(key)
            assert node.freshness_policy_or_from_metadata is not None, key
    assert user_facing == {*KPI_TABLES.values(), dg.AssetKey(["dashboards", "kpi_report"])}


def test_a_table_outside_the_kpi_naming_gets_freshness_from_its_declared_family():
    """Freshness follows the family a pipeline declares, whatever the key looks like (a DAU table, a
    served-recommendations table)."""
    policy = PipelinePolicy("analytics", freshness={AssetFamily.USER_FACING: KPI_FRESHNESS})
    (spec,) = policy.assets(AssetFamily.USER_FACING, [dg.AssetSpec(["bigquery", "analytics", "dau"])])
    assert spec.freshness_policy == KPI_FRESHNESS and spec.tags[PIPELINE_TAG] == "analytics"
    (model,) = policy.assets(AssetFamily.MODEL, [dg.AssetSpec(["bigquery", "analytics", "kpi_like_name"])])
    assert model.freshness_policy is None
