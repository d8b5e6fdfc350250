"""Browser-test fixtures: headless Debian Chromium via Playwright, a page per test, screenshots per step.

Artifacts (every step's screenshot, a screenshot at the moment of a failure, server logs) go to
`$CUMULUS_HOME/test-artifacts/<test name>/` (default `.cumulus/test-artifacts/...` in the repository),
emptied when the test starts and kept afterwards, so CI's work tree holds the last run's pictures.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from resources.settings import load_settings
from tests.browser.chromium import ChromiumMissing, launch_chromium

VIEWPORT = {"width": 1600, "height": 1000}
# Generous per-action timeout: on a busy 2-core machine a Dagster page can take several seconds to settle.
ACTION_TIMEOUT_MS = 60_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)  # assertions wait as long as actions (their default is 5 s)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Steps:
    """Numbered screenshots of one test's steps, saved in its artifacts folder."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.taken: list[Path] = []

    def shot(self, name: str) -> Path:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=path)
        self.taken.append(path)
        return path


@pytest.fixture
def artifacts(request) -> Path:
    folder = load_settings().home / "test-artifacts" / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread while it is
# open, and Dagster's automation evaluation (asyncio.run) in a later test module fails under it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except ChromiumMissing as missing:
            pytest.fail(str(missing), pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, artifacts: Path, request) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        page.screenshot(path=artifacts / "failure.png")
    context.close()


@pytest.fixture
def steps(page: Page, artifacts: Path) -> Steps:
    return Steps(page, artifacts)
