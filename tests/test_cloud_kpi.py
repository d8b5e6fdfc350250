"""The cloud lane end to end: the same asset code with `CUMULUS_ENV=cloud`, against moto (S3) and fakesnow
(Snowflake) servers on 127.0.0.1, gives the same tables as the local lane on the same generated data,
through two outages and a second incremental dbt run.

The cloud lane runs the daily assets for days 1-3, then for days 3-4 (day 3 again, day 4 new), then the
weekly and monthly rollups and the dashboard. The second daily run finds every dbt model's table in
place, so the incremental models take their delete+insert path on Snowflake. Each daily run is first
interrupted: the emulator behind one endpoint is stopped right after the first raw load of the run
succeeds, the run fails naming that endpoint, the emulator comes back (with what it held, as the real
service would: see devtools/emulators.py and devtools/fakesnow_server.py) and the whole run is retried.
The local lane runs days 1-4 as one range, uninterrupted (one dbt run less; a range run equals
day-by-day runs, tests/test_kpi_pipeline.py); every table must come out equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import dagster as dg
import pytest

from contracts.shop import SHOP_TABLES
from devtools.emulators import FAKE_AWS_ENV, moto_server
from devtools.fakesnow_server import FAKE_SNOWFLAKE_CREDENTIALS, fakesnow_server
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import Settings, load_settings
from tests.conftest import Lane, step_failures
from tests.table_rows import row_multiset

pytestmark = pytest.mark.emulator

FIRST = date(2026, 11, 2)  # a Monday: all four days fall in one week and one month
THIRD = FIRST + timedelta(days=2)
LAST = FIRST + timedelta(days=3)
CONFIG = ShopConfig(seed=5, orders_per_day=40)
DATABASE = "SHOP"
BUCKET = "shop-exports"
SECRET = "not-a-real-password-41c9"  # fakesnow takes any password; this one must never show in an error
# The run's first step (steps at the same depth run in key order); the outage starts right after it.
FIRST_LOAD_STEP = "snowflake__raw__customers"

# Every table of the graph -> its unique key (the grain dbt tests, or the raw table's key per export day).
TABLES = {
    **{f"raw.{c.name}": ("_export_date", *c.primary_key) for c in SHOP_TABLES},
    "raw.quarantine": ("source_key", "line_number"),
    "marts.fct_orders": ("order_id",),
    "marts.dim_customers": ("customer_id",),
    "marts.dim_products": ("product_id",),
    "kpi.kpi_daily_sales": ("order_date",),
    "kpi.kpi_daily_category_sales": ("order_date", "category"),
    "kpi.kpi_weekly_sales": ("week_start",),
    "kpi.kpi_monthly_sales": ("month_start",),
}


def stop_after(step_key: str, emulator) -> dg.HookDefinition:
    """A hook that stops `emulator` once `step_key` has succeeded: an outage between two steps of a run."""

    @dg.success_hook(name=f"outage_after_{step_key}")
    def outage(context: dg.HookContext) -> None:
        if context.step_key == step_key:
            emulator.stop()

    return outage


@dataclass
class CloudRun:
    lane: Lane
    s3_endpoint: str
    snowflake_endpoint: str
    s3_outage: dg.ExecuteInProcessResult
    snowflake_outage: dg.ExecuteInProcessResult


def cloud_environment(s3_endpoint: str, snowflake_host: str, snowflake_port: int, home: str) -> dict[str, str]:
    return {
        **FAKE_AWS_ENV,
        "CUMULUS_ENV": "cloud",
        "CUMULUS_HOME": home,
        "CUMULUS_S3_BUCKET": BUCKET,
        "CUMULUS_S3_ENDPOINT_URL": s3_endpoint,
        "SNOWFLAKE_ACCOUNT": FAKE_SNOWFLAKE_CREDENTIALS["account"],
        "SNOWFLAKE_USER": FAKE_SNOWFLAKE_CREDENTIALS["user"],
        "SNOWFLAKE_PASSWORD": SECRET,
        "SNOWFLAKE_ROLE": "CUMULUS",
        "SNOWFLAKE_WAREHOUSE": "CUMULUS_WH",
        "SNOWFLAKE_DATABASE": DATABASE,
        "SNOWFLAKE_HOST": snowflake_host,
        "SNOWFLAKE_PORT": str(snowflake_port),
        "SNOWFLAKE_PROTOCOL": "http",
    }


@pytest.fixture(scope="module")
def cloud(tmp_path_factory) -> Iterator[CloudRun]:
    with (
        moto_server(durable=True) as s3,
        fakesnow_server(durable=True) as snowflake,
        pytest.MonkeyPatch.context() as env,
    ):
        snowflake.create_database(DATABASE)
        home = str(tmp_path_factory.mktemp("cloud-home"))
        for name, value in cloud_environment(s3.endpoint, snowflake.host, snowflake.port, home).items():
            env.setenv(name, value)
        lane = Lane.build(load_settings())
        lane.lake.get_client().create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": FAKE_AWS_ENV["AWS_DEFAULT_REGION"]}
        )
        generate_shop_exports(lane.lake, FIRST, (LAST - FIRST).days + 1, CONFIG)
        try:
            s3_outage = lane.run_days(FIRST, THIRD, raise_on_error=False, hooks={stop_after(FIRST_LOAD_STEP, s3)})
            s3.restart()
            assert lane.run_days(FIRST, THIRD).success
            snowflake_outage = lane.run_days(
                THIRD, LAST, raise_on_error=False, hooks={stop_after(FIRST_LOAD_STEP, snowflake)}
            )
            snowflake.restart()
            assert lane.run_days(THIRD, LAST).success
            assert all(r.success for r in lane.run_everything(FIRST, LAST, daily=False))
            yield CloudRun(lane, s3.endpoint, f"{snowflake.host}:{snowflake.port}", s3_outage, snowflake_outage)
        finally:
            lane.instance.dispose()


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Iterator[Lane]:
    lane = Lane.build(Settings(env="local", home=tmp_path_factory.mktemp("local-home")))
    generate_shop_exports(lane.lake, FIRST, (LAST - FIRST).days + 1, CONFIG)
    try:
        assert all(r.success for r in lane.run_everything(FIRST, LAST))
        yield lane
    finally:
        lane.instance.dispose()


def failed_steps(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.all_events if event.is_step_failure}


def test_an_s3_outage_fails_the_run_naming_the_endpoint(cloud):
    result = cloud.s3_outage
    assert not result.success
    # the loads after the outage failed; dbt did not start on partial raw tables
    assert failed_steps(result) == {"snowflake__raw__order_items", "snowflake__raw__orders", "snowflake__raw__products"}
    errors = step_failures(result)
    assert f"cannot reach the S3 endpoint {cloud.s3_endpoint} for bucket {BUCKET!r}" in errors
    assert not any(e.is_step_start and e.step_key == "kpi_daily_models" for e in result.all_events)


def test_a_snowflake_outage_fails_the_run_naming_the_endpoint(cloud):
    result = cloud.snowflake_outage
    assert not result.success
    assert failed_steps(result) == {"snowflake__raw__order_items", "snowflake__raw__orders", "snowflake__raw__products"}
    errors = step_failures(result)
    assert f"Snowflake account fakesnow at {cloud.snowflake_endpoint} (database {DATABASE}) did not answer" in errors
    assert SECRET not in errors


def table(lane: Lane, name: str):
    return lane.warehouse.query(f"SELECT * FROM {name}")


@pytest.mark.parametrize("name", TABLES)
def test_every_table_equals_the_local_lanes_after_outages_and_retries(cloud, local, name):
    cloud_rows, local_rows = row_multiset(table(cloud.lane, name)), row_multiset(table(local, name))
    assert sum(local_rows.values()) > 0
    assert cloud_rows == local_rows


@pytest.mark.parametrize("name", TABLES)
def test_retries_and_reruns_left_no_duplicates(cloud, name):
    columns = ", ".join(TABLES[name])
    counts = cloud.lane.warehouse.query(
        f"SELECT count(*) AS n FROM (SELECT {columns} FROM {name} GROUP BY {columns} HAVING count(*) > 1) AS d"
    )
    assert int(counts.iloc[0, 0]) == 0


def test_the_second_incremental_run_kept_the_first_runs_rows_and_no_staging_tables(cloud):
    # Run 2's window was days 3-4: fct_orders still holding days 1-2 (and equal to the local lane's) shows
    # dbt merged into the existing table (delete+insert) instead of rebuilding it from the window.
    warehouse = cloud.lane.warehouse
    days = warehouse.query("SELECT DISTINCT order_date FROM marts.fct_orders ORDER BY order_date")
    assert [str(d)[:10] for d in days["order_date"]] == [
        (FIRST + timedelta(days=i)).isoformat() for i in range((LAST - FIRST).days + 1)
    ]
    # the transient <model>__dbt_tmp tables the delete+insert path staged its rows in are gone again
    tables = warehouse.query("SELECT table_schema, table_name FROM information_schema.tables")
    assert not [name for name in tables["table_name"] if name.lower().endswith("__dbt_tmp")]
    assert {"FCT_ORDERS", "KPI_DAILY_SALES"} <= {name.upper() for name in tables["table_name"]}
