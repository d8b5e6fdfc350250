"""The local KPI dashboard's page: the KPI tables rendered as one self-contained HTML document.

Pure functions, no I/O and no clock, so identical tables give byte-identical HTML: an unchanged re-run
publishes an unchanged report, and tests compare renders directly. The page must open offline (from a
file:// URL or an e-mail attachment), so it fetches nothing: styles are inline and charts are inline SVG
(resources/dashboard/svg_charts.py). Every string that came from data or a caller goes through `html.escape`.

Money is whole Korean won (KRW has no minor unit); `cancel_rate` is a fraction (0.034 = 3.4%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

import pandas as pd

from resources.dashboard.formatting import change, format_change, format_count, format_krw, format_rate
from resources.dashboard.svg_charts import PALETTE, Formatter, Layer, line_chart, nice_ticks, stacked_bar_chart
from resources.dashboard.svg_charts import legend as _legend

MEASURES = ("gmv", "net_revenue", "orders", "buyers", "new_buyers", "aov", "items_sold", "cancel_rate")
CATEGORY_MEASURES = ("gmv", "items_sold", "orders", "buyers")

CHART_GMV = "GMV per day"
CHART_ORDERS = "Orders per day"
CHART_AOV = "Average order value per day"
CHART_CATEGORY_MIX = "Category mix (share of GMV)"
CHART_BUYERS = "New vs returning buyers"

NO_DATA = "No data yet"
OTHER = "Other"
MAX_CATEGORIES = 8  # more stacked colours than this cannot be told apart; the rest become "Other"


@dataclass(frozen=True)
class RenderedReport:
    """The page and the titles of the charts drawn in it (one <svg> each), in page order."""

    html: str
    charts: tuple[str, ...]


# ---- input normalisation ------------------------------------------------------------------------------


def _normalised(
    frame: pd.DataFrame, date_column: str, measures: Sequence[str], name: str, labels: Sequence[str] = ()
) -> pd.DataFrame:
    """The frame with a `day` column of `date`s and float measures, sorted by day.

    A frame with rows must have every column (a renamed column should fail loudly, not chart as zeros);
    a frame with no rows may have none, so a caller with nothing loaded yet can pass `pd.DataFrame()`.
    """
    columns = (date_column, *labels, *measures)
    if frame.empty:
        return pd.DataFrame({"day": pd.Series([], dtype=object), **{c: [] for c in columns if c != "day"}})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} table is missing columns: {', '.join(missing)}")
    out = frame.copy()
    out["day"] = pd.to_datetime(out[date_column]).dt.date
    if out["day"].isna().any():
        raise ValueError(f"{name} table has rows without a {date_column}")
    for column in measures:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out.sort_values("day", kind="mergesort").reset_index(drop=True)


def _one_row_per_day(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A KPI table has one row per period; a duplicate means an upstream bug, so say so rather than pick."""
    duplicated = frame["day"][frame["day"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{name} table has more than one row for {duplicated.iloc[0].isoformat()}")
    return frame


def _figure(title: str, body: str) -> str:
    return f"<figure><figcaption>{escape(title)}</figcaption>{body}</figure>"


def _placeholder(title: str, why: str) -> str:
    return _figure(title, f'<p class="empty">{NO_DATA}: {escape(why)}</p>')


# ---- sections -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kpi:
    label: str
    column: str
    fmt: Formatter
    as_points: bool = False
    higher_is_better: bool = True


SUMMARY = (
    _Kpi("GMV", "gmv", format_krw),
    _Kpi("Orders", "orders", format_count),
    _Kpi("AOV", "aov", format_krw),
    _Kpi("Buyers", "buyers", format_count),
    _Kpi("New buyers", "new_buyers", format_count),
    _Kpi("Net revenue", "net_revenue", format_krw),
    _Kpi("Cancel rate", "cancel_rate", format_rate, as_points=True, higher_is_better=False),
)


def _header(title: str, daily: pd.DataFrame) -> str:
    if daily.empty:
        period = f"{NO_DATA}: the daily KPI table has no rows. The report fills in after the first load."
    else:
        first, last = daily["day"].iloc[0], daily["day"].iloc[-1]
        span = last.toordinal() - first.toordinal() + 1
        covered = f"{len(daily)} day" if span == 1 else f"{len(daily)} of {span} days have data"
        period = f"Period covered: {first.isoformat()} – {last.isoformat()} ({covered})"
    return f'<header><h1>{escape(title)}</h1><p class="period">{escape(period)}</p></header>'


def _summary(daily: pd.DataFrame) -> str:
    """The last day's KPIs, each with its change against the day before it in the table."""
    if daily.empty:
        return ""
    last = daily.iloc[-1]
    previous = daily.iloc[-2] if len(daily) > 1 else None
    if previous is None:
        versus = "first day: nothing to compare with"
    elif last["day"].toordinal() - previous["day"].toordinal() == 1:
        versus = "vs previous day"
    else:
        versus = f"vs {previous['day'].isoformat()} (last day with data)"
    cards = []
    for kpi in SUMMARY:
        current = last[kpi.column]
        text, tone = "", "flat"
        if previous is not None:
            delta = change(current, previous[kpi.column], as_points=kpi.as_points)
            text = format_change(delta, as_points=kpi.as_points)
            if delta:
                tone = "good" if (delta > 0) == kpi.higher_is_better else "bad"
        cards.append(
            f'<div class="kpi"><div class="label">{escape(kpi.label)}</div>'
            f'<div class="value">{escape(kpi.fmt(current))}</div>'
            f'<div class="change {tone}">{escape(text)}</div></div>'
        )
    heading = f"Last day: {last['day'].isoformat()} ({versus})"
    return f'<section><h2>{escape(heading)}</h2><div class="kpis">{"".join(cards)}</div></section>'


def _category_layers(by_category: pd.DataFrame, days: list[date]) -> list[Layer]:
    """GMV share per day of the biggest categories (by total GMV, ties by name); the rest is "Other"."""
    frame = by_category.assign(category=by_category["category"].fillna("(unknown)").astype(str))
    gmv = frame.pivot_table(index="day", columns="category", values="gmv", aggfunc="sum", fill_value=0.0)
    gmv = gmv.reindex(days, fill_value=0.0)
    totals = sorted((-float(gmv[c].sum()), c) for c in gmv.columns)
    names = [c for _, c in totals]
    if len(names) > MAX_CATEGORIES:
        keep, rest = names[: MAX_CATEGORIES - 1], names[MAX_CATEGORIES - 1 :]
        folded = gmv[keep].copy()
        # A real category called "Other" among the kept ones absorbs the rest instead of being overwritten.
        folded[OTHER] = (folded[OTHER] if OTHER in keep else 0.0) + gmv[rest].sum(axis=1)
        gmv, names = folded, [*keep, OTHER] if OTHER not in keep else keep
    day_totals = gmv[names].sum(axis=1)
    shares = gmv[names].div(day_totals.where(day_totals != 0), axis=0).fillna(0.0)
    return [
        Layer(name, PALETTE[i % len(PALETTE)], tuple(float(v) for v in shares[name])) for i, name in enumerate(names)
    ]


def _charts(daily: pd.DataFrame, by_category: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The chart figures in page order, and the titles of those actually drawn (not placeholders)."""
    figures: list[str] = []
    drawn: list[str] = []

    def add(title: str, svg: str, extra: str = "") -> None:
        figures.append(_figure(title, svg + extra))
        drawn.append(title)

    if daily.empty:
        for title in (CHART_GMV, CHART_ORDERS, CHART_AOV):
            figures.append(_placeholder(title, "the daily KPI table has no rows."))
    else:
        days = list(daily["day"])
        add(CHART_GMV, line_chart(CHART_GMV, days, list(daily["gmv"]), format_krw))
        add(CHART_ORDERS, line_chart(CHART_ORDERS, days, list(daily["orders"]), format_count))
        add(CHART_AOV, line_chart(CHART_AOV, days, list(daily["aov"]), format_krw))

    if by_category.empty:
        figures.append(_placeholder(CHART_CATEGORY_MIX, "the category KPI table has no rows."))
    else:
        cat_days = sorted(set(by_category["day"]))
        layers = _category_layers(by_category, cat_days)
        svg = stacked_bar_chart(
            CHART_CATEGORY_MIX, cat_days, layers, [0.0, 0.25, 0.5, 0.75, 1.0], format_rate, format_rate
        )
        add(CHART_CATEGORY_MIX, svg, _legend(layers))

    if daily.empty:
        figures.append(_placeholder(CHART_BUYERS, "the daily KPI table has no rows."))
    else:
        new = daily["new_buyers"].fillna(0.0)
        returning = (daily["buyers"].fillna(0.0) - new).clip(lower=0.0)
        layers = [
            Layer("Returning buyers", PALETTE[0], tuple(float(v) for v in returning)),
            Layer("New buyers", PALETTE[1], tuple(float(v) for v in new)),
        ]
        ticks = nice_ticks(float((new + returning).max()))
        svg = stacked_bar_chart(CHART_BUYERS, list(daily["day"]), layers, ticks, format_count, format_count)
        add(CHART_BUYERS, svg, _legend(layers))
    return figures, drawn


ROLLUP_COLUMNS: tuple[tuple[str, str, Formatter], ...] = (
    ("GMV", "gmv", format_krw),
    ("Net revenue", "net_revenue", format_krw),
    ("Orders", "orders", format_count),
    ("Buyers", "buyers", format_count),
    ("New buyers", "new_buyers", format_count),
    ("AOV", "aov", format_krw),
    ("Items sold", "items_sold", format_count),
    ("Cancel rate", "cancel_rate", format_rate),
)


def rollup_table(caption: str, period_label: str, frame: pd.DataFrame) -> str:
    """A weekly or monthly rollup, latest period first (the rows people look up are the recent ones)."""
    if frame.empty:
        return f'<section><h2>{escape(caption)}</h2><p class="empty">{NO_DATA}.</p></section>'
    head = "".join(f"<th>{escape(label)}</th>" for label in (period_label, *(c[0] for c in ROLLUP_COLUMNS)))
    rows = []
    for _, row in frame.iloc[::-1].iterrows():
        cells = "".join(f"<td>{escape(fmt(row[column]))}</td>" for _, column, fmt in ROLLUP_COLUMNS)
        rows.append(f"<tr><th>{row['day'].isoformat()}</th>{cells}</tr>")
    return (
        f"<section><h2>{escape(caption)}</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _footer(generated_from: str, daily: pd.DataFrame) -> str:
    """Provenance without a wall clock: the data's last day says when, `generated_from` says from what."""
    through = "no data yet" if daily.empty else f"data through {daily['day'].iloc[-1].isoformat()}"
    return f"<footer>Generated from {escape(generated_from)}; {escape(through)}.</footer>"


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Apple SD Gothic Neo","Noto Sans KR",sans-serif;
margin:0 auto;max-width:1000px;padding:24px;color:#222;background:#fff}
h1{margin:0 0 4px;font-size:24px}h2{font-size:17px;margin:28px 0 10px}
.period{color:#555;margin:0}.empty{color:#777;font-style:italic}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 12px}
.kpi .label{color:#555;font-size:13px}.kpi .value{font-size:20px;font-weight:600;margin:2px 0}
.change{font-size:13px;color:#777}.change.good{color:#2e7d32}.change.bad{color:#c62828}
figure{margin:24px 0}figcaption{font-weight:600;margin-bottom:6px}
svg{width:100%;height:auto;display:block}
svg text{font-size:11px;fill:#555}.ylab{text-anchor:end;dominant-baseline:middle}.xlab{text-anchor:middle}
.grid{stroke:#e5e5e5}.line{fill:none;stroke:#4e79a7;stroke-width:2}.dot{fill:#4e79a7}
.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
.swatch{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
thead th{border-bottom:2px solid #ccc}tr>th:first-child{text-align:left}
footer{margin-top:32px;color:#777;font-size:12px;border-top:1px solid #eee;padding-top:10px}
"""


def render_report(
    daily: pd.DataFrame,
    by_category: pd.DataFrame,
    weekly: pd.DataFrame,
    monthly: pd.DataFrame,
    *,
    title: str,
    generated_from: str,
) -> RenderedReport:
    """The whole page. Same inputs, same bytes: nothing here reads a clock, the environment or a file."""
    daily_n = _one_row_per_day(_normalised(daily, "order_date", MEASURES, "daily"), "daily")
    category_n = _normalised(by_category, "order_date", CATEGORY_MEASURES, "by_category", ("category",))
    weekly_n = _one_row_per_day(_normalised(weekly, "week_start", MEASURES, "weekly"), "weekly")
    monthly_n = _one_row_per_day(_normalised(monthly, "month_start", MEASURES, "monthly"), "monthly")
    figures, drawn = _charts(daily_n, category_n)
    body = "".join(
        (
            _header(title, daily_n),
            _summary(daily_n),
            "<section><h2>Trends</h2>",
            "".join(figures),
            "</section>",
            rollup_table("Weekly rollup", "Week starting", weekly_n),
            rollup_table("Monthly rollup", "Month starting", monthly_n),
            _footer(generated_from, daily_n),
        )
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
    return RenderedReport(html=page, charts=tuple(drawn))
