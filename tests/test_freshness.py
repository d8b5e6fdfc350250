"""Freshness as declared once in assets/policies.py, evaluated by Dagster's own evaluator under a
controlled clock: raw files by 06:00 KST, KPI tables by 09:00 KST on the next day."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.definitions.freshness_evaluator import FRESHNESS_EVALUATORS_BY_POLICY_TYPE
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

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


def test_every_asset_users_read_declares_freshness_and_owners(make_lane):
    graph = make_lane().defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:data-platform"], key
        user_facing = key.path[0] in ("s3", "dashboards") or key.path[-1].startswith("kpi_")
        assert (node.freshness_policy_or_from_metadata is not None) == user_facing, key
