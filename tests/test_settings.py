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


def test_the_cloud_lane_is_refused_until_its_resources_exist():
    with pytest.raises(SettingsError, match="cloud lane"):
        load_settings({"CUMULUS_ENV": "cloud"})


def test_importing_the_definitions_module_reads_no_settings(monkeypatch):
    import importlib

    import definitions

    monkeypatch.setenv("CUMULUS_ENV", "nonsense")
    importlib.reload(definitions)  # no error: settings are resolved when the Definitions are built
    with pytest.raises(SettingsError):
        definitions.build_definitions()
