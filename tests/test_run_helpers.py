"""cli/runs.py on a small graph of every partitioning (hourly -> daily -> weekly -> unpartitioned), run for real
in-process: the groups and their order come from the graph, and a failed partition stops only what reads it."""

from collections import defaultdict
from datetime import date

import dagster as dg
import pytest

from cli.partition_groups import RangeRefused, keys_for_days, partition_groups
from cli.runs import backfill_days

TZ = "Asia/Seoul"
hourly = dg.HourlyPartitionsDefinition(start_date="2026-10-01-00:00", timezone=TZ)
daily = dg.DailyPartitionsDefinition(start_date="2026-10-01", timezone=TZ)
weekly = dg.WeeklyPartitionsDefinition(start_date="2026-09-28", day_offset=1, timezone=TZ, end_offset=1)
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 10)  # Monday .. the next week's Tuesday
SINGLE_RUN = dg.BackfillPolicy.single_run()


def ranged_loader(key: str, partitions_def, bad: set[str], records_good_partitions: bool, built: dict):
    """A raw load over a partition range: with `records_good_partitions`, it records the partitions it loaded
    and then fails naming the bad ones (the shared loader's way); otherwise it fails the whole step."""

    @dg.asset(key=key, partitions_def=partitions_def, backfill_policy=SINGLE_RUN)
    def load(context: dg.AssetExecutionContext) -> None:
        failed = [k for k in context.partition_keys if k in bad]
        if not failed:
            built[key].extend(context.partition_keys)
            return
        if records_good_partitions:
            for k in context.partition_keys:
                if k not in failed:
                    context.log_event(dg.AssetMaterialization(context.asset_key, partition=k))
                    built[key].append(k)
        files = ", ".join(f"lake/{key}/dt={k}/part-0000.jsonl.gz" for k in failed)
        raise dg.Failure(f"unreadable export files: {files}")

    return load


def model(key: str, partitions_def, deps: list[str], built: dict):
    @dg.asset(key=key, partitions_def=partitions_def, deps=deps, backfill_policy=SINGLE_RUN)
    def build(context: dg.AssetExecutionContext) -> None:
        built[key].extend(context.partition_keys if partitions_def else ["-"])

    return build


def shop_graph(bad: set[str] = frozenset(), records_good_partitions: bool = True) -> tuple[dg.Definitions, dict]:
    """Hourly events and daily orders (both loaded), daily models, a weekly rollup, a report; an
    unpartitioned calendar feeds the daily KPIs. Orders and their facts run in one daily run, as the KPI
    pipeline's raw tables and dbt models do."""
    built: dict[str, list[str]] = defaultdict(list)
    assets = [
        ranged_loader("events", hourly, bad, records_good_partitions, built),
        ranged_loader("orders", daily, bad, records_good_partitions, built),
        model("calendar", None, [], built),
        model("order_facts", daily, ["orders"], built),
        model("sessions", daily, ["events"], built),
        model("daily_kpis", daily, ["order_facts", "sessions", "calendar"], built),
        model("weekly_kpis", weekly, ["daily_kpis"], built),
        model("report", None, ["weekly_kpis"], built),
    ]
    return dg.Definitions(assets=assets), built


def days(*numbers: int) -> list[str]:
    return [f"2026-11-{n:02d}" for n in numbers]


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def test_groups_follow_the_graph_hourly_first_unpartitioned_around_them():
    defs, _ = shop_graph()
    groups = [
        (g.label, [k.to_user_string() for k in g.asset_keys]) for g in partition_groups(defs.resolve_asset_graph())
    ]
    assert groups == [
        ("hourly", ["events"]),
        ("daily", ["orders", "order_facts"]),
        ("unpartitioned", ["calendar"]),
        ("daily", ["sessions", "daily_kpis"]),
        ("weekly", ["weekly_kpis"]),
        ("unpartitioned", ["report"]),
    ]


def test_keys_cover_the_business_days_without_listing_every_partition():
    assert keys_for_days(weekly, FIRST, LAST) == ["2026-11-02", "2026-11-09"]
    hours = keys_for_days(hourly, date(2026, 11, 3), date(2026, 11, 3))
    assert (len(hours), hours[0], hours[-1]) == (24, "2026-11-03-00:00", "2026-11-03-23:00")
    with pytest.raises(
        RangeRefused, match=r"2026-09-01\.\.2026-09-02 is outside the daily partitions \(2026-10-01\.\."
    ):
        keys_for_days(daily, date(2026, 9, 1), date(2026, 9, 2))
    with pytest.raises(RangeRefused, match="its last day is before its first"):
        keys_for_days(daily, LAST, FIRST)


def test_a_clean_range_is_one_run_per_group_and_builds_every_partition(instance):
    defs, built = shop_graph()
    outcome = backfill_days(defs, instance, FIRST, LAST)
    assert outcome.succeeded and all(r.success for r in outcome.results)
    assert len(outcome.results) == 6
    assert len(built["events"]) == 9 * 24
    assert built["daily_kpis"] == days(*range(2, 11))
    assert built["weekly_kpis"] == ["2026-11-02", "2026-11-09"]
    assert outcome.summary() == "backfill 2026-11-02..2026-11-10: every partition materialized (6 run(s))"


def test_a_failed_hour_stops_its_day_and_week_only(instance):
    defs, built = shop_graph(bad={"2026-11-04-05:00"})
    outcome = backfill_days(defs, instance, FIRST, LAST)
    assert built["sessions"] == days(2, 3, *range(5, 11))
    assert built["daily_kpis"] == days(2, 3, *range(5, 11))
    assert built["weekly_kpis"] == ["2026-11-09"]  # the week holding the failed day is not built
    assert built["report"] == ["-"]  # built from what loaded
    assert not outcome.succeeded
    assert outcome.summary() == (
        "backfill 2026-11-02..2026-11-10 FAILED: events 2026-11-04-05:00 "
        "(lake/events/dt=2026-11-04-05:00/part-0000.jsonl.gz); not built because an input failed: "
        "sessions 2026-11-04, daily_kpis 2026-11-04, weekly_kpis 2026-11-02"
    )


def test_models_skipped_in_the_run_of_a_failed_load_are_rebuilt_for_the_good_days(instance):
    defs, built = shop_graph(bad={"2026-11-06"})
    outcome = backfill_days(defs, instance, FIRST, LAST)
    good_days = days(2, 3, 4, 5, 7, 8, 9, 10)
    assert built["orders"] == good_days
    assert built["order_facts"] == good_days  # skipped in the orders' run, then rebuilt in two runs
    assert instance.get_materialized_partitions(dg.AssetKey("order_facts")) == set(good_days)
    assert built["daily_kpis"] == good_days
    assert built["sessions"] == days(*range(2, 11))
    assert [(f.asset_key.to_user_string(), f.partitions) for f in outcome.failures] == [("orders", "2026-11-06")]
    assert {k.to_user_string(): p for k, p in outcome.not_built.items()} == {
        "order_facts": "2026-11-06",
        "daily_kpis": "2026-11-06",
        "weekly_kpis": "2026-11-02",
    }


def test_a_load_that_fails_its_whole_range_fails_every_day_and_names_the_file(instance):
    defs, built = shop_graph(bad={"2026-11-06"}, records_good_partitions=False)
    outcome = backfill_days(defs, instance, FIRST, LAST)
    assert not built["orders"] and not built["order_facts"] and not built["daily_kpis"] and not built["weekly_kpis"]
    assert built["sessions"] == days(*range(2, 11))
    assert outcome.summary() == (
        "backfill 2026-11-02..2026-11-10 FAILED: orders 2026-11-02..2026-11-10 "
        "(lake/orders/dt=2026-11-06/part-0000.jsonl.gz); not built because an input failed: "
        "order_facts 2026-11-02..2026-11-10, daily_kpis 2026-11-02..2026-11-10, weekly_kpis 2026-11-02..2026-11-09"
    )


def test_a_range_outside_the_partitions_is_refused_before_anything_runs(instance):
    defs, built = shop_graph()
    with pytest.raises(RangeRefused, match="outside the hourly partitions"):
        backfill_days(defs, instance, date(2026, 9, 30), FIRST)
    assert not built and not instance.get_runs()
