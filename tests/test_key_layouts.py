"""Key layouts, both directions: key -> (entity, partition key) and partition -> prefix / example key, for
the shop's daily folders and Amplitude's hourly chunks, with the malformed keys each must refuse."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from contracts.layout import DailyFolderLayout, Granularity, HourlyChunkLayout, KeyLocation, UnmappedKeyError
from contracts.shop import EXPORT_LAYOUT, export_file_key, export_partition_prefix

AMPLITUDE = HourlyChunkLayout(root="amplitude/", timezone="Asia/Seoul")
SEOUL_HOURS = dg.HourlyPartitionsDefinition(start_date="2026-01-01-00:00", timezone="Asia/Seoul")


def test_shop_key_maps_to_its_table_and_day_and_back():
    key = "shop/orders/dt=2026-11-03/part-0007.jsonl.gz"
    assert EXPORT_LAYOUT.locate(key) == KeyLocation("orders", "2026-11-03")
    assert EXPORT_LAYOUT.example_key("orders", "2026-11-03", 7) == key == export_file_key("orders", "2026-11-03", 7)
    assert EXPORT_LAYOUT.partition_prefix("orders", "2026-11-03") == "shop/orders/dt=2026-11-03/"
    assert export_partition_prefix("orders", "2026-11-03") == "shop/orders/dt=2026-11-03/"
    assert EXPORT_LAYOUT.locate("shop/orders/dt=2026-11-03/export-a.jsonl.gz").partition_key == "2026-11-03"
    assert EXPORT_LAYOUT.granularity is Granularity.DAILY and EXPORT_LAYOUT.suffix == ".jsonl.gz"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("shop/orders/dt=latest/part-0000.jsonl.gz", "dt=latest is not a calendar date"),
        ("shop/orders/dt=2026-02-30/part-0000.jsonl.gz", "dt=2026-02-30 is not a calendar date"),
        ("shop/orders/dt=2026-2-3/part-0000.jsonl.gz", "dt=2026-2-3 is not a calendar date"),
        ("shop/orders/2026-11-03/part-0000.jsonl.gz", "not shop/<table>/dt=YYYY-MM-DD"),
        ("shop/orders/dt=2026-11-03/extra/part-0000.jsonl.gz", "not shop/<table>/dt=YYYY-MM-DD"),
        ("shop/orders/dt=2026-11-03/part-0000.csv", "not a .jsonl.gz file"),
        ("shop/orders.jsonl.gz", "not shop/<table>/dt=YYYY-MM-DD"),
        ("other/orders/dt=2026-11-03/part-0000.jsonl.gz", "not under shop/"),
    ],
)
def test_malformed_shop_keys_are_refused_with_their_reason(key, reason):
    with pytest.raises(UnmappedKeyError, match=reason) as error:
        EXPORT_LAYOUT.locate(key)
    assert error.value.key == key


def test_the_entity_of_an_unmapped_shop_key_is_still_told():
    assert EXPORT_LAYOUT.entity_of("shop/orders/dt=latest/part-0000.jsonl.gz") == "orders"
    assert EXPORT_LAYOUT.entity_of("shop/orders.jsonl.gz") is None


def test_a_day_prefix_refuses_what_is_not_a_day():
    with pytest.raises(ValueError, match="not a day partition key"):
        EXPORT_LAYOUT.partition_prefix("orders", "latest")


@pytest.mark.parametrize(
    ("key", "partition"),
    [
        ("amplitude/123/123_2026-11-03_0#0.json.gz", "2026-11-03-09:00"),
        ("amplitude/123/123_2026-11-03_5#0.json.gz", "2026-11-03-14:00"),
        ("amplitude/123/123_2026-11-03_14#12.json.gz", "2026-11-03-23:00"),
        ("amplitude/123/123_2026-11-03_15#2.json.gz", "2026-11-04-00:00"),  # the next Seoul day
        ("amplitude/123/123_2026-10-31_23#0.json.gz", "2026-11-01-08:00"),  # the next month
    ],
)
def test_amplitude_chunk_maps_its_utc_upload_hour_to_a_seoul_hour_partition(key, partition):
    location = AMPLITUDE.locate(key)
    assert location == KeyLocation("123", partition)
    assert SEOUL_HOURS.has_partition_key(partition)  # Dagster's own hourly key format
    chunk = int(key.rsplit("#", 1)[1].removesuffix(".json.gz"))
    assert AMPLITUDE.example_key("123", partition, chunk) == key  # and back
    assert key.startswith(AMPLITUDE.partition_prefix("123", partition))


def test_an_hour_prefix_holds_every_chunk_of_that_hour_and_no_other_hour():
    prefix = AMPLITUDE.partition_prefix("123", "2026-11-03-10:00")  # 01:00 UTC
    assert prefix == "amplitude/123/123_2026-11-03_1#"
    assert not "amplitude/123/123_2026-11-03_10#0.json.gz".startswith(prefix)
    assert AMPLITUDE.example_key("123", "2026-11-03-10:00", 3) == "amplitude/123/123_2026-11-03_1#3.json.gz"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("amplitude/123/123_2026-11-03_05#0.json.gz", "hour 05 is not 0-23 written without a leading zero"),
        ("amplitude/123/123_2026-11-03_24#0.json.gz", "hour 24 is not 0-23"),
        ("amplitude/123/123_2026-02-30_5#0.json.gz", "2026-02-30 is not a calendar date"),
        ("amplitude/123/123_latest_5#0.json.gz", "latest is not a calendar date"),
        ("amplitude/123/456_2026-11-03_5#0.json.gz", "file of project 456 under 123/"),
        ("amplitude/123/123_2026-11-03_5.json.gz", "not amplitude/<project>/<project>_<YYYY-MM-DD>_<H>#<n>"),
        ("amplitude/123/123_2026-11-03_5#x.json.gz", "not amplitude/<project>/"),
        ("amplitude/123_2026-11-03_5#0.json.gz", "not amplitude/<project>/"),
        ("amplitude/123/123_2026-11-03_5#0.json", "not a .json.gz file"),
    ],
)
def test_malformed_amplitude_keys_are_refused_with_their_reason(key, reason):
    with pytest.raises(UnmappedKeyError, match=reason):
        AMPLITUDE.locate(key)


def test_an_hour_prefix_refuses_what_is_not_a_whole_hour():
    for key in ("2026-11-03", "2026-11-03-10:30", "latest"):
        with pytest.raises(ValueError, match="not an hour partition key"):
            AMPLITUDE.partition_prefix("123", key)


def test_recent_partition_keys_are_the_current_one_and_those_before_it():
    now = datetime(2026, 11, 4, 0, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    assert Granularity.DAILY.recent_keys(now, 2) == ["2026-11-04", "2026-11-03"]
    assert Granularity.HOURLY.recent_keys(now, 3) == ["2026-11-04-00:00", "2026-11-03-23:00", "2026-11-03-22:00"]
    in_utc = now.astimezone(UTC)
    assert Granularity.HOURLY.recent_keys(in_utc, 1) == ["2026-11-03-15:00"]


def test_a_layout_root_and_suffix_are_parameters():
    layout = DailyFolderLayout(root="exports/v2/", suffix=".parquet", timezone="UTC")
    assert layout.locate("exports/v2/t/dt=2026-01-01/a.parquet") == KeyLocation("t", "2026-01-01")
    assert layout.pattern == "exports/v2/<table>/dt=YYYY-MM-DD/part-NNNN.parquet"
