"""What a person does in Superset 6.1's UI, as Playwright steps on the handles that are stable there.

The login page is a React form whose inputs carry `data-test` ids. A dashboard renders each chart in a
holder with `data-test-chart-name="<chart name>"`; a table chart is a plain HTML table whose header cells
read the columns' labels (the dataset's verbose names: `GMV`, not `gmv`) and whose cells show the chart's
number formats (`,d` for money: 2,418,800).
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def submit_login(page: Page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/login/", wait_until="domcontentloaded")
    page.locator('[data-test="username-input"]').fill(username)
    page.locator('[data-test="password-input"]').fill(password)
    page.locator('[data-test="login-button"]').click()


def log_in(page: Page, url: str, username: str, password: str) -> None:
    submit_login(page, url, username, password)
    page.wait_for_url(lambda address: "/login" not in address)


def open_dashboard(page: Page, url: str, slug: str) -> None:
    """Open a dashboard and wait until the charts in view have their data (each shows "Waiting on <database>"
    until its query returns)."""
    page.goto(f"{url}/superset/dashboard/{slug}/", wait_until="domcontentloaded")
    page.locator("[data-test-chart-name]").first.wait_for()
    expect(page.get_by_text("Waiting on")).to_have_count(0)


def chart(page: Page, name: str) -> Locator:
    """A chart of the open dashboard, scrolled into view (charts below the fold render when seen)."""
    holder = page.locator(f'[data-test-chart-name="{name}"]')
    holder.scroll_into_view_if_needed()
    return holder


def table_cell(table_chart: Locator, row_label: str, column: str) -> str:
    """The text shown in `column` of the row whose first cell reads `row_label`."""
    table = table_chart.locator("table")
    expect(table.locator("tbody tr").first).to_be_visible()
    headers = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    if column not in headers:
        raise AssertionError(f"no column {column!r} in the table; its header reads {headers}")
    first_cell_reads = table_chart.page.locator(f'td:first-child:text-is("{row_label}")')
    row = table.locator("tbody tr").filter(has=first_cell_reads)
    expect(row).to_have_count(1)
    return row.locator("td").nth(headers.index(column)).inner_text().strip()
