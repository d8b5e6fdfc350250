"""The KPI dashboard on a real Superset, read the way a person reads it: log in, open the dashboard, find
one day's GMV in the Daily KPIs table, and compare it with the KPI table the pipeline wrote.

The dashboard is the one the `dashboards/kpi_superset` asset published (the `superset_lane` fixture: two
days through the whole KPI graph, then the asset, on a Superset started for the session).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.superset_ui import chart, log_in, open_dashboard, submit_login, table_cell
from tests.conftest import SUPERSET_LANE_DAYS

pytestmark = [pytest.mark.browser, pytest.mark.superset, pytest.mark.slow]

DASHBOARD_SLUG = "cumulus-kpis"


def test_a_day_s_gmv_read_off_the_dashboard_equals_the_kpi_table(superset_lane, superset_server, page: Page, steps):
    daily = superset_lane.table("kpi.kpi_daily_sales", "order_date")
    expected = {f"{row.order_date:%Y-%m-%d}": int(row.gmv) for row in daily.itertuples()}
    assert len(expected) == SUPERSET_LANE_DAYS and all(gmv > 0 for gmv in expected.values())

    log_in(page, superset_server.url, superset_server.username, superset_server.password)
    steps.shot("logged-in")
    open_dashboard(page, superset_server.url, DASHBOARD_SLUG)
    expect(page.get_by_text("GMV per day").first).to_be_visible()
    steps.shot("dashboard")

    table = chart(page, "Daily KPIs")
    for day, gmv in expected.items():
        # The chart formats money with thousands separators (`,d`), as a reader sees it.
        assert table_cell(table, day, "GMV") == f"{gmv:,}", f"GMV of {day} on the dashboard"
    steps.shot("daily-kpis-table")


def test_a_wrong_password_is_refused_on_the_login_page(superset_server, page: Page, steps):
    submit_login(page, superset_server.url, superset_server.username, "not-the-password")
    # Superset 6.1 answers with its sign-in form again (its "invalid login" toast is gone in a moment).
    expect(page.locator('[data-test="login-button"]')).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login"))
    assert "not-the-password" not in page.content()
    steps.shot("refused")
    page.goto(f"{superset_server.url}/superset/dashboard/{DASHBOARD_SLUG}/", wait_until="domcontentloaded")
    expect(page).to_have_url(re.compile(r"/login"))
