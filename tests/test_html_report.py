"""The local KPI dashboard: a self-contained, deterministic HTML report rendered from small KPI tables."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from resources.dashboard.html_report import (
    CHART_AOV,
    CHART_BUYERS,
    CHART_CATEGORY_MIX,
    CHART_GMV,
    CHART_ORDERS,
    format_krw,
    render_report,
)
from resources.dashboard.interface import REPORT_FILENAME, HtmlReportDashboard, KpiTables

MEASURES = ["gmv", "net_revenue", "orders", "buyers", "new_buyers", "aov", "items_sold", "cancel_rate"]


def daily_kpis() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_date": [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)],
            "gmv": [1_000_000, 1_200_000, 1_234_567],
            "net_revenue": [900_000, 1_050_000, 1_100_000],
            "orders": [20, 24, 25],
            "buyers": [18, 22, 23],
            "new_buyers": [5, 6, 4],
            "aov": [50_000, 50_000, 49_382.68],
            "items_sold": [40, 50, 55],
            "cancel_rate": [0.05, 0.04, 0.06],
        }
    )


def category_kpis(categories: tuple[str, ...] = ("outerwear", "shoes")) -> pd.DataFrame:
    rows = [
        {
            "order_date": day,
            "category": category,
            "gmv": 100_000 * (i + 1),
            "items_sold": 3,
            "orders": 2,
            "buyers": 2,
        }
        for day in (date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3))
        for i, category in enumerate(categories)
    ]
    return pd.DataFrame(rows)


def rollup(period_column: str, starts: list[date]) -> pd.DataFrame:
    frame = pd.DataFrame({period_column: starts})
    for i, measure in enumerate(MEASURES):
        frame[measure] = [0.05 if measure == "cancel_rate" else 1_000 * (i + 1) * (j + 1) for j in range(len(starts))]
    return frame


def kpi_tables(by_category: pd.DataFrame | None = None) -> KpiTables:
    return KpiTables(
        daily=daily_kpis(),
        by_category=category_kpis() if by_category is None else by_category,
        weekly=rollup("week_start", [date(2024, 4, 29)]),
        monthly=rollup("month_start", [date(2024, 5, 1)]),
        source="analytics.daily_sales_kpis, analytics.daily_category_kpis (test)",
    )


def empty_tables() -> KpiTables:
    return KpiTables(
        daily=pd.DataFrame(columns=["order_date", *MEASURES]),
        by_category=pd.DataFrame(columns=["order_date", "category", "gmv", "items_sold", "orders", "buyers"]),
        weekly=pd.DataFrame(columns=["week_start", *MEASURES]),
        monthly=pd.DataFrame(),
    )


def publish(tmp_path: Path, tables: KpiTables) -> str:
    published = HtmlReportDashboard(output_dir=str(tmp_path)).publish(tables, "Shop KPIs")
    return Path(published.location).read_text(encoding="utf-8")


def test_publish_writes_the_report_and_returns_a_file_url(tmp_path: Path) -> None:
    published = HtmlReportDashboard(output_dir=str(tmp_path / "out")).publish(kpi_tables(), "Shop KPIs")

    path = tmp_path / "out" / REPORT_FILENAME
    assert path.is_file()
    assert published.location == str(path.resolve())
    assert published.url == path.resolve().as_uri()
    assert published.charts == (CHART_GMV, CHART_ORDERS, CHART_AOV, CHART_CATEGORY_MIX, CHART_BUYERS)
    assert not [p for p in path.parent.iterdir() if p.name != REPORT_FILENAME]  # no temp file left behind


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = publish(tmp_path, kpi_tables())

    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<script\b", html, re.IGNORECASE)
    assert not re.search(r"\b(src|href)\s*=", html, re.IGNORECASE)
    assert not re.search(r"@import|url\(", html)


def test_summary_shows_the_last_day_formatted_with_changes(tmp_path: Path) -> None:
    html = publish(tmp_path, kpi_tables())

    assert "Last day: 2024-05-03 (vs previous day)" in html
    assert "Period covered: 2024-05-01 – 2024-05-03 (3 of 3 days have data)" in html
    for shown in ("₩1,234,567", "₩1,100,000", "₩49,383", "25", "23", "6.0%"):
        assert shown in html
    assert "+2.9%" in html  # GMV: 1,234,567 vs 1,200,000
    assert "+4.2%" in html  # orders: 25 vs 24
    assert "+2.0 pp" in html  # cancel rate 4% -> 6%, in percentage points
    assert "-33.3%" in html  # new buyers 6 -> 4


def test_one_svg_per_chart(tmp_path: Path) -> None:
    tables = kpi_tables()
    published = HtmlReportDashboard(output_dir=str(tmp_path)).publish(tables, "Shop KPIs")
    html = Path(published.location).read_text(encoding="utf-8")

    assert html.count("<svg") == len(published.charts) == 5
    assert html.count("</svg>") == 5


def test_two_renders_are_byte_identical(tmp_path: Path) -> None:
    first = HtmlReportDashboard(output_dir=str(tmp_path / "a")).publish(kpi_tables(), "Shop KPIs")
    second = HtmlReportDashboard(output_dir=str(tmp_path / "b")).publish(kpi_tables(), "Shop KPIs")

    assert Path(first.location).read_bytes() == Path(second.location).read_bytes()


def test_input_row_order_does_not_change_the_page() -> None:
    tables = kpi_tables()
    shuffled = tables.daily.iloc[[2, 0, 1]]
    args = (tables.by_category, tables.weekly, tables.monthly)

    ordered = render_report(tables.daily, *args, title="t", generated_from="x").html
    assert render_report(shuffled, *args, title="t", generated_from="x").html == ordered


def test_empty_tables_say_no_data_yet(tmp_path: Path) -> None:
    published = HtmlReportDashboard(output_dir=str(tmp_path)).publish(empty_tables(), "Shop KPIs")
    html = Path(published.location).read_text(encoding="utf-8")

    assert "No data yet" in html
    assert published.charts == ()
    assert "<svg" not in html
    assert "<table" not in html


def test_a_single_day_renders_without_a_comparison(tmp_path: Path) -> None:
    tables = kpi_tables()
    one_day = KpiTables(
        daily=tables.daily.iloc[:1],
        by_category=tables.by_category.iloc[:2],
        weekly=tables.weekly,
        monthly=tables.monthly,
    )
    published = HtmlReportDashboard(output_dir=str(tmp_path)).publish(one_day, "Shop KPIs")
    html = Path(published.location).read_text(encoding="utf-8")

    assert "first day: nothing to compare with" in html
    assert "Period covered: 2024-05-01 – 2024-05-01 (1 day)" in html
    assert html.count("<svg") == len(published.charts) == 5
    assert not re.search(r"\bnan\b", html, re.IGNORECASE)


def test_category_names_are_escaped(tmp_path: Path) -> None:
    evil = "<script>alert('x')</script>"
    html = publish(tmp_path, kpi_tables(category_kpis(("outerwear", evil))))

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_title_and_source_are_escaped(tmp_path: Path) -> None:
    tables = kpi_tables()
    tables = KpiTables(tables.daily, tables.by_category, tables.weekly, tables.monthly, source="a & <b>")
    published = HtmlReportDashboard(output_dir=str(tmp_path)).publish(tables, 'KPIs "<i>"')
    html = Path(published.location).read_text(encoding="utf-8")

    assert "Generated from a &amp; &lt;b&gt;; data through 2024-05-03." in html
    assert "<title>KPIs &quot;&lt;i&gt;&quot;</title>" in html


def test_many_categories_fold_into_other(tmp_path: Path) -> None:
    names = tuple(f"category {i:02d}" for i in range(12))
    html = publish(tmp_path, kpi_tables(category_kpis(names)))

    assert html.count('<span class="swatch"') == 8 + 2  # 7 biggest + Other, and the two buyer layers
    assert ">Other</li>" in html


def test_a_category_called_other_absorbs_the_folded_rest(tmp_path: Path) -> None:
    names = ("Other", *(f"category {i:02d}" for i in range(11)))
    html = publish(tmp_path, kpi_tables(category_kpis(names)))

    assert html.count(">Other</li>") == 1
    assert html.count('<span class="swatch"') == 8 + 2


def test_missing_days_and_values_break_the_line_instead_of_bridging_it(tmp_path: Path) -> None:
    daily = daily_kpis()
    daily.loc[2, "order_date"] = date(2024, 5, 5)  # 05-03 and 05-04 missing
    daily.loc[1, "aov"] = float("nan")  # no orders -> no AOV
    tables = kpi_tables()
    html = publish(tmp_path, KpiTables(daily, tables.by_category, tables.weekly, tables.monthly))

    assert "Period covered: 2024-05-01 – 2024-05-05 (3 of 5 days have data)" in html
    assert "Last day: 2024-05-05 (vs 2024-05-02 (last day with data))" in html
    gmv_path = re.search(r'<path class="line" d="([^"]+)"', html).group(1)
    assert gmv_path.count("M") == 2 and gmv_path.count("L") == 1
    assert not re.search(r"\bnan\b", html, re.IGNORECASE)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "₩0"), (1_234_567, "₩1,234,567"), (2.5, "₩3"), (-1_500, "-₩1,500"), (float("nan"), "–")],
)
def test_krw_formatting(value: float, shown: str) -> None:
    assert format_krw(value) == shown


def test_missing_columns_are_named() -> None:
    daily = daily_kpis().drop(columns=["aov"])
    tables = kpi_tables()

    with pytest.raises(ValueError, match="daily table is missing columns: aov"):
        render_report(daily, tables.by_category, tables.weekly, tables.monthly, title="t", generated_from="x")
