"""The cloud lane end to end: the same asset code with `CUMULUS_ENV=cloud`, against moto (S3) and fakesnow
(Snowflake) on 127.0.0.1, gives the same KPI tables as the local lane on the same generated data."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest

from cli.runs import materialize_all_for_days
from definitions import build_definitions
from generator.shop import ShopConfig, generate_shop_exports
from resources.settings import Settings, load_settings
from tests.emulators import FAKE_AWS_ENV, moto_server
from tests.fakesnow_server import FAKE_SNOWFLAKE_CREDENTIALS, fakesnow_server

pytestmark = pytest.mark.emulator

FIRST = date(2026, 11, 2)
DAYS = 3
LAST = FIRST + timedelta(days=DAYS - 1)
CONFIG = ShopConfig(seed=5, orders_per_day=40)
DATABASE = "SHOP"
COMPARED = {"kpi.kpi_daily_sales": "order_date", "marts.fct_orders": "order_id"}


def kpi_tables(defs: dg.Definitions) -> dict[str, pd.DataFrame]:
    warehouse = defs.resources["snowflake"]
    frames = {}
    for table, order_by in COMPARED.items():
        frame = warehouse.query(f"SELECT * FROM {table} ORDER BY {order_by}")
        frames[table] = frame.astype(str).reset_index(drop=True)  # types differ by engine; values must not
    return frames


@pytest.fixture(scope="module")
def cloud_defs(tmp_path_factory):
    with moto_server() as s3_endpoint, fakesnow_server() as snowflake, pytest.MonkeyPatch.context() as env:
        snowflake.create_database(DATABASE)
        variables = {
            **FAKE_AWS_ENV,
            "CUMULUS_ENV": "cloud",
            "CUMULUS_HOME": str(tmp_path_factory.mktemp("cloud-home")),
            "CUMULUS_S3_BUCKET": "shop-exports",
            "CUMULUS_S3_ENDPOINT_URL": s3_endpoint,
            "SNOWFLAKE_ACCOUNT": FAKE_SNOWFLAKE_CREDENTIALS["account"],
            "SNOWFLAKE_USER": FAKE_SNOWFLAKE_CREDENTIALS["user"],
            "SNOWFLAKE_PASSWORD": FAKE_SNOWFLAKE_CREDENTIALS["password"],
            "SNOWFLAKE_ROLE": "CUMULUS",
            "SNOWFLAKE_WAREHOUSE": "CUMULUS_WH",
            "SNOWFLAKE_DATABASE": DATABASE,
            "SNOWFLAKE_HOST": snowflake.host,
            "SNOWFLAKE_PORT": str(snowflake.port),
            "SNOWFLAKE_PROTOCOL": "http",
        }
        for name, value in variables.items():
            env.setenv(name, value)
        defs = build_definitions(load_settings())
        store = defs.resources["s3"]
        store.get_client().create_bucket(
            Bucket="shop-exports", CreateBucketConfiguration={"LocationConstraint": FAKE_AWS_ENV["AWS_DEFAULT_REGION"]}
        )
        generate_shop_exports(store, FIRST, DAYS, CONFIG)
        with dg.DagsterInstance.ephemeral() as instance:
            results = materialize_all_for_days(defs, instance, FIRST, LAST)
            assert all(r.success for r in results)
            yield defs


@pytest.fixture(scope="module")
def local_defs(tmp_path_factory):
    defs = build_definitions(Settings(env="local", home=tmp_path_factory.mktemp("local-home")))
    generate_shop_exports(defs.resources["s3"], FIRST, DAYS, CONFIG)
    with dg.DagsterInstance.ephemeral() as instance:
        assert all(r.success for r in materialize_all_for_days(defs, instance, FIRST, LAST))
    return defs


def test_the_cloud_lane_builds_the_same_kpis_as_the_local_lane(cloud_defs, local_defs):
    cloud, local = kpi_tables(cloud_defs), kpi_tables(local_defs)
    for table in COMPARED:
        assert len(cloud[table]) == len(local[table]) > 0, table
    pd.testing.assert_frame_equal(
        cloud["kpi.kpi_daily_sales"][["order_date", "gmv", "orders", "buyers", "new_buyers", "items_sold"]],
        local["kpi.kpi_daily_sales"][["order_date", "gmv", "orders", "buyers", "new_buyers", "items_sold"]],
    )
