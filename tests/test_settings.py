"""Settings are read once, from the environment given, with a clear error for what is wrong."""

from __future__ import annotations

import pytest

from resources.settings import REPO_ROOT, SettingsError, load_settings


def test_local_is_the_default_and_state_lives_under_cumulus_home(tmp_path):
    settings = load_settings({"CUMULUS_HOME": str(tmp_path)})
    assert settings.env == "local"
    assert settings.warehouse_path == tmp_path / "warehouse" / "snowflake.duckdb"
    assert settings.lake_root == tmp_path / "lake"
    assert load_settings({}).home == REPO_ROOT / ".cumulus"


def test_an_unknown_environment_is_named_in_the_error():
    with pytest.raises(SettingsError, match="CUMULUS_ENV must be one of local, cloud; got 'prod'"):
        load_settings({"CUMULUS_ENV": "prod"})


CLOUD_ENV = {
    "CUMULUS_ENV": "cloud",
    "CUMULUS_S3_BUCKET": "shop-exports",
    "SNOWFLAKE_ACCOUNT": "xy12345",
    "SNOWFLAKE_USER": "cumulus",
    "SNOWFLAKE_PASSWORD": "s3cr3t-Pa55",
    "SNOWFLAKE_ROLE": "CUMULUS",
    "SNOWFLAKE_WAREHOUSE": "CUMULUS_WH",
    "SNOWFLAKE_DATABASE": "SHOP",
}


def test_cloud_settings_name_every_missing_variable_and_what_it_is_for_at_once():
    with pytest.raises(SettingsError) as error:
        load_settings({"CUMULUS_ENV": "cloud", "SNOWFLAKE_USER": "cumulus", "SNOWFLAKE_PORT": "http"})
    message = str(error.value)
    assert "pipelines kpi needs 7 more or corrected environment variable(s)" in message
    for name in ("CUMULUS_S3_BUCKET", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_DATABASE"):
        assert name in message
    assert "SNOWFLAKE_USER" not in message
    assert "virtual warehouse that runs the loads" in message
    assert "SNOWFLAKE_PORT (Snowflake): Input should be a valid integer" in message


def test_cloud_secrets_never_appear_in_reprs_or_errors():
    settings = load_settings(CLOUD_ENV)
    assert settings.snowflake.password.get_secret_value() == "s3cr3t-Pa55"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings)
    with pytest.raises(SettingsError) as error:
        load_settings({**CLOUD_ENV, "SNOWFLAKE_PORT": "s3cr3t-Pa55"})
    assert "s3cr3t" not in str(error.value)


def test_optional_cloud_overrides_are_read_for_emulators():
    settings = load_settings(
        {**CLOUD_ENV, "CUMULUS_S3_ENDPOINT_URL": "http://127.0.0.1:5000", "SNOWFLAKE_PORT": "8080"}
    )
    assert settings.s3.endpoint_url == "http://127.0.0.1:5000" and settings.snowflake.port == 8080
    assert settings.s3.region == "ap-northeast-2"


def test_only_the_systems_of_the_enabled_pipelines_are_required():
    """GCP settings are the analytics and recsys pipelines' (next issues): the KPI pipeline alone needs none."""
    settings = load_settings({**CLOUD_ENV, "CUMULUS_PIPELINES": "kpi"})
    assert settings.gcp is None and settings.pipelines == ("kpi",)
    with pytest.raises(SettingsError, match="unknown pipeline"):
        load_settings({"CUMULUS_PIPELINES": "kpi, nonsense"})


def test_gcp_settings_validate_with_the_same_rules():
    from pydantic import ValidationError

    from resources.cloud_settings import GcpSettings, problems

    with pytest.raises(ValidationError) as error:
        GcpSettings.from_environment({"CUMULUS_GCP_PROJECT": "shop-analytics"})
    assert problems(GcpSettings, error.value) == [
        "  CUMULUS_GCS_BUCKET (GCP): GCS bucket the Amplitude export files land in"
    ]
    gcp = GcpSettings.from_environment({"CUMULUS_GCP_PROJECT": "p", "CUMULUS_GCS_BUCKET": "b"})
    assert (gcp.location, gcp.analytics_dataset, gcp.ml_dataset) == ("asia-northeast3", "analytics", "ml")


def test_importing_the_definitions_module_reads_no_settings(monkeypatch):
    import importlib

    import definitions

    monkeypatch.setenv("CUMULUS_ENV", "nonsense")
    importlib.reload(definitions)  # no error: settings are resolved when the Definitions are built
    with pytest.raises(SettingsError):
        definitions.build_definitions()


def test_local_runs_execute_steps_in_the_run_process_and_cloud_runs_a_process_per_step(tmp_path):
    import dagster as dg

    from definitions import build_definitions

    local = build_definitions(load_settings({"CUMULUS_HOME": str(tmp_path)}))
    cloud = build_definitions(load_settings({**CLOUD_ENV, "CUMULUS_HOME": str(tmp_path)}))
    assert local.resolve_implicit_global_asset_job_def().executor_def is dg.in_process_executor
    assert cloud.resolve_implicit_global_asset_job_def().executor_def is dg.multiprocess_executor


def test_running_dbt_starts_no_version_probe_and_no_in_process_adapter(tmp_path, monkeypatch):
    """dagster-dbt would spend ~9 s per dbt step on both (resources/dbt.py); the project needs neither."""
    import dagster_dbt.core.resource

    from resources.dbt import dbt_core_version, dbt_resource

    resource = dbt_resource(load_settings({"CUMULUS_HOME": str(tmp_path)}))

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    assert resource._cli_version == dbt_core_version()
    assert resource._cli_version.major == 1  # dbt Core, not Fusion
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_dbt_invocations_write_into_the_cumulus_home_and_only_the_newest_are_kept(tmp_path):
    import os
    import time

    from resources.dbt import KEPT_INVOCATIONS, STILL_RUNNING_S, dbt_resource

    settings = load_settings({"CUMULUS_HOME": str(tmp_path)})
    resource = dbt_resource(settings)
    runs = settings.dbt_runs_dir
    long_ago = time.time() - STILL_RUNNING_S - 60
    for i in range(KEPT_INVOCATIONS + 5):
        (runs / f"old-{i:02d}").mkdir(parents=True)
        os.utime(runs / f"old-{i:02d}", (long_ago + i, long_ago + i))
    (runs / "in-use").mkdir()  # e.g. a concurrent run's: written to just now

    target = resource._get_unique_target_path(context=None)

    assert target.parent == runs and not target.exists()
    kept = sorted(p.name for p in runs.iterdir())
    assert len(kept) == KEPT_INVOCATIONS and "in-use" in kept and "old-00" not in kept
    for i in range(KEPT_INVOCATIONS + 5):
        (runs / f"busy-{i:02d}").mkdir()  # a burst of recent runs: none of them is pruned
    resource._get_unique_target_path(context=None)
    assert sum(1 for p in runs.iterdir() if p.name.startswith("busy-")) == KEPT_INVOCATIONS + 5


def test_another_dagster_dbt_than_the_pinned_one_is_refused_with_the_fix():
    """resources/dbt.py overrides private members of dagster-dbt's resource: on another release they may
    mean something else, so building the dbt resource refuses, naming the fix."""
    from resources.dbt import PINNED_DAGSTER_DBT, UnsupportedDagsterDbt, require_pinned_dagster_dbt

    require_pinned_dagster_dbt(PINNED_DAGSTER_DBT)
    with pytest.raises(UnsupportedDagsterDbt, match=r"dagster-dbt 0\.30\.0 is installed.*make install"):
        require_pinned_dagster_dbt("0.30.0")
