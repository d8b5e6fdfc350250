"""Without Chromium the browser tests fail, naming what to install (they never skip)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from resources.settings import REPO_ROOT
from tests.browser.chromium import CHROMIUM_SETTING, ChromiumMissing, launch_chromium

pytestmark = pytest.mark.browser
WHAT_TO_INSTALL = "apt-get install -y chromium"


def test_a_missing_chromium_is_reported_with_what_to_install(tmp_path: Path):
    with sync_playwright() as playwright, pytest.raises(ChromiumMissing, match=WHAT_TO_INSTALL) as missing:
        launch_chromium(playwright, {CHROMIUM_SETTING: str(tmp_path / "no-chromium")})
    assert str(tmp_path / "no-chromium") in str(missing.value)


def test_the_browser_tests_fail_rather_than_skip_without_chromium(tmp_path: Path):
    """The real flow test, run by pytest with the executable setting pointed at a file that is not there."""
    env = {**os.environ, CHROMIUM_SETTING: str(tmp_path / "no-chromium"), "CUMULUS_HOME": str(tmp_path)}
    test = "tests/browser/test_dagster_ui.py::test_kpi_pipeline_from_the_dagster_ui"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", test],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert WHAT_TO_INSTALL in result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout
