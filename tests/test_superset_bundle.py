"""The dashboard bundle in the repository and what each lane renders into it (no server needed): the
import ZIP and form fields the publisher sends, for the local DuckDB copy and for Snowflake."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from dagster import EnvVar

from definitions import build_definitions
from resources.dashboard.html_report import CHART_AOV, CHART_BUYERS, CHART_CATEGORY_MIX, CHART_GMV, CHART_ORDERS
from resources.lanes import build_resources
from resources.settings import Settings, SettingsError, load_settings
from resources.superset.bundle import BUNDLE_DIR, DATABASE_FILE, BundleError, load_bundle
from resources.superset.connections import DuckDBServingCopy, SnowflakeForSuperset
from resources.superset.settings import LOCAL_ADMIN_PASSWORD, SupersetSettings

SUPERSET_KEY = "dashboards/kpi_superset"
CLOUD_ENV = {
    "CUMULUS_ENV": "cloud",
    "CUMULUS_S3_BUCKET": "shop-exports",
    "SNOWFLAKE_ACCOUNT": "xy12345.ap-northeast-2.aws",
    "SNOWFLAKE_USER": "CUMULUS BI",
    "SNOWFLAKE_PASSWORD": "sf-secret-do-not-print",
    "SNOWFLAKE_ROLE": "CUMULUS_READER",
    "SNOWFLAKE_WAREHOUSE": "CUMULUS_WH",
    "SNOWFLAKE_DATABASE": "SHOP",
    "CUMULUS_SUPERSET_URL": "https://superset.example.internal/",
    "CUMULUS_SUPERSET_PASSWORD": "ss-secret-do-not-print",
}


def unzip(archive: bytes) -> dict[str, dict]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {name.split("/", 1)[1]: yaml.safe_load(z.read(name)) for name in z.namelist()}


def asset_keys(defs) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_the_bundle_holds_the_kpi_charts_on_the_kpi_tables():
    bundle = load_bundle()
    names = {c.name for c in bundle.charts}
    assert {CHART_GMV, CHART_ORDERS, CHART_AOV, CHART_CATEGORY_MIX, CHART_BUYERS} <= names  # as in the HTML report
    assert {"Daily KPIs", "Weekly rollup", "Monthly rollup"} <= names
    assert {d.qualified_name for d in bundle.datasets} == {
        "kpi.kpi_daily_sales",
        "kpi.kpi_daily_category_sales",
        "kpi.kpi_weekly_sales",
        "kpi.kpi_monthly_sales",
    }
    gmv = next(c for c in bundle.charts if c.name == CHART_GMV)
    assert (
        gmv.expected_sql()
        == 'SELECT order_date, SUM(gmv) AS "gmv" FROM kpi.kpi_daily_sales GROUP BY order_date ORDER BY order_date'
    )
    assert not any(p.startswith("databases/") for p in bundle.files)


def test_a_layout_chart_without_its_uuid_is_refused(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, copy)
    path = copy / "dashboards" / "cumulus_kpis.yaml"
    dashboard = yaml.safe_load(path.read_text())
    del dashboard["position"]["CHART-gmv_per_day"]["meta"]["uuid"]  # Superset would show that chart twice
    path.write_text(yaml.safe_dump(dashboard))
    with pytest.raises(BundleError, match="every chart of the bundle exactly once"):
        load_bundle(copy)


def test_a_chart_on_a_column_its_dataset_lacks_is_refused(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, copy)
    path = copy / "charts" / "gmv_per_day.yaml"
    chart = yaml.safe_load(path.read_text())
    chart["params"]["x_axis"] = "order_date; DROP TABLE x"
    path.write_text(yaml.safe_dump(chart))
    with pytest.raises(BundleError, match="not a plain SQL identifier"):
        load_bundle(copy)


def test_local_connection_is_the_read_only_serving_copy_without_file_access(tmp_path):
    connection = DuckDBServingCopy(warehouse_path=str(tmp_path / "w.duckdb"), serving_path=str(tmp_path / "kpi.duckdb"))
    files = unzip(load_bundle().zip_with_database(connection.database_config()))
    database = files[DATABASE_FILE]
    assert database["sqlalchemy_uri"] == f"duckdb:///{tmp_path / 'kpi.duckdb'}"
    assert database["extra"]["engine_params"]["connect_args"] == {
        "read_only": True,
        "config": {"enable_external_access": False},
    }
    assert (database["allow_dml"], database["allow_file_upload"], database["allow_ctas"]) == (False, False, False)
    assert database["uuid"] == load_bundle().database_uuid
    assert connection.passwords() == {}


def test_cloud_lane_renders_the_same_bundle_for_snowflake_with_the_password_outside_the_files(monkeypatch):
    for name, value in CLOUD_ENV.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    superset = build_resources(settings)["superset"]
    connection = superset.warehouse
    assert isinstance(connection, SnowflakeForSuperset)
    assert superset.url == "https://superset.example.internal"
    # Resource configuration is shown in the UI: both secrets are references, not values.
    assert isinstance(connection.password, EnvVar) and connection.password.env_var_name == "SNOWFLAKE_PASSWORD"
    assert isinstance(superset.password, EnvVar) and superset.password.env_var_name == "CUMULUS_SUPERSET_PASSWORD"
    resolved = SnowflakeForSuperset(
        account=connection.account,
        user=connection.user,
        password=CLOUD_ENV["SNOWFLAKE_PASSWORD"],  # what the EnvVar resolves to at run time
        role=connection.role,
        warehouse=connection.warehouse,
        database=connection.database,
    )
    bundle = load_bundle()
    archive = bundle.zip_with_database(resolved.database_config())
    files = unzip(archive)
    database = files[DATABASE_FILE]
    assert database["sqlalchemy_uri"] == (
        "snowflake://CUMULUS%20BI:XXXXXXXXXX@xy12345.ap-northeast-2.aws/SHOP/KPI?role=CUMULUS_READER&warehouse=CUMULUS_WH"
    )
    assert database["allow_dml"] is False and database["uuid"] == bundle.database_uuid
    # The same datasets, charts and dashboard as the local lane; only the database differs.
    local = unzip(bundle.zip_with_database({"database_name": "x", "sqlalchemy_uri": "duckdb:///x"}))
    assert {p: c for p, c in files.items() if p != DATABASE_FILE} == {
        p: c for p, c in local.items() if p != DATABASE_FILE
    }
    # The password travels only in the import's `passwords` form field, keyed by the database file.
    assert json.loads(json.dumps(resolved.passwords())) == {DATABASE_FILE: CLOUD_ENV["SNOWFLAKE_PASSWORD"]}
    assert CLOUD_ENV["SNOWFLAKE_PASSWORD"].encode() not in archive
    assert CLOUD_ENV["CUMULUS_SUPERSET_PASSWORD"] not in repr(settings)


def test_without_a_superset_url_the_superset_asset_is_not_defined(tmp_path):
    defs = build_definitions(Settings(env="local", home=tmp_path))
    assert SUPERSET_KEY not in asset_keys(defs) and "dashboards/kpi_report" in asset_keys(defs)
    assert "superset" not in defs.resources


def test_with_a_superset_url_the_asset_is_defined_next_to_the_html_report(tmp_path):
    settings = Settings(env="local", home=tmp_path, superset=SupersetSettings.local_default("http://127.0.0.1:9"))
    defs = build_definitions(settings)
    assert {SUPERSET_KEY, "dashboards/kpi_report"} <= asset_keys(defs)
    assert defs.resources["superset"].password == LOCAL_ADMIN_PASSWORD  # local lane, no password set: the default
    assert Path(defs.resources["superset"].warehouse.serving_path) == settings.serving_copy_path


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CUMULUS_SUPERSET_URL": "127.0.0.1:8088"}, "must be an http"),
        ({**CLOUD_ENV, "CUMULUS_SUPERSET_PASSWORD": ""}, "CUMULUS_SUPERSET_PASSWORD is needed"),
    ],
)
def test_bad_superset_settings_are_named(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
