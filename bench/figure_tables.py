"""Each figure's rows in docs/BENCHMARKS.md: its section's table and its lines in the results table at the top."""

from __future__ import annotations

from bench.measure import Figure


def raw_load_rows(results: dict[int, dict[str, Figure]], lines: dict[int, int], mb: dict[int, float]) -> list[str]:
    rows = [
        "| order lines | cumulus s | bare DuckDB s | pandas s | cumulus / engine limit | cumulus vs pandas "
        "| cumulus rows/s | cumulus MB/s (gz) | peak MB cumulus / DuckDB / pandas "
        "| cumulus with 0.2% malformed s (vs clean) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, figures in sorted(results.items()):
        ours, bare, pandas = figures["cumulus"], figures["duckdb"], figures["pandas"]
        malformed = figures["cumulus_malformed"]
        rows.append(
            f"| {lines[scale]:,} | {ours.seconds:.2f} | {bare.seconds:.2f} | {pandas.seconds:.2f} "
            f"| {bare.seconds / ours.seconds:.2f}x | {pandas.seconds / ours.seconds:.1f}x faster "
            f"| {lines[scale] / ours.seconds:,.0f} | {mb[scale] / ours.seconds:.1f} "
            f"| {ours.peak_rss_mb:.0f} / {bare.peak_rss_mb:.0f} / {pandas.peak_rss_mb:.0f} "
            f"| {malformed.seconds:.2f} ({malformed.seconds / ours.seconds:.2f}x) |"
        )
    return rows


def backfill_rows(results: list) -> list[str]:
    """One row per range length (results: bench.backfill.measure)."""
    rows = [
        "| days | single-run backfill s (wall / CPU) | one run per day s (sampled median x days) "
        "| bare work s (wall / CPU) | single run vs one run per day | orchestration overhead "
        "| peak MB single run / bare |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        single, bare = r.single_run, r.bare
        rows.append(
            f"| {r.history.days} | {_wall_cpu(single)} | {r.per_day_total_seconds:.0f} "
            f"({r.per_day_median_seconds:.1f} x {r.history.days}) | {_wall_cpu(bare)} "
            f"| {r.per_day_total_seconds / single.seconds:.1f}x faster | {r.overhead_share:.0%} "
            f"| {single.peak_rss_mb:.0f} / {bare.peak_rss_mb:.0f} |"
        )
    return rows


def summary_row(figure: int, what: str, goal: str, measured: str, met: bool | None, reading: str) -> str:
    """One row of the table at the top of the report, under the number of the figure that measured it (a
    rerun of that figure replaces its rows); `met=None` for a row without a goal."""
    verdict = "n/a" if met is None else ("met" if met else "**missed**")
    return f"| {figure} | {what} | {goal} | {measured} | {verdict} | {reading} |"


def _wall_cpu(figure: Figure) -> str:
    return f"{figure.seconds:.2f} / {figure.cpu_seconds:.2f}"


def _ratio(ours: Figure, base: Figure) -> str:
    return f"{ours.seconds / base.seconds:.2f}x / {ours.cpu_seconds / base.cpu_seconds:.2f}x"


def location_load_rows(results: dict[str, dict[str, Figure]]) -> list[str]:
    """One row per project: the floor, the shipped project, then the synthetic dbt projects by size."""
    floor = results["floor"]
    rows = [
        "| project | assets | CLI validate s (wall / CPU) | Python import + build s (wall / CPU) "
        "| CLI vs floor (wall / CPU) | import + build vs floor (wall / CPU) | import + build peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures in results.items():
        cli, python = figures["cli"], figures["in_process"]
        assets, peak_mb = python.value
        rows.append(
            f"| {name} | {assets:,} | {_wall_cpu(cli)} | {_wall_cpu(python)} | {_ratio(cli, floor['cli'])} "
            f"| {_ratio(python, floor['in_process'])} | {peak_mb:.0f} |"
        )
    return rows


def growth_reading(results: dict[str, dict[str, Figure]]) -> str:
    """How the load time grows with the dbt models: CPU seconds per 100 models, overall and per step."""
    sizes = sorted(int(name.split()[0]) for name in results if name.endswith(" models"))
    if len(sizes) < 2:
        return "Growth: needs at least two synthetic sizes."

    def per_100(way: str, small: int, large: int) -> float:
        low, high = results[f"{small} models"][way], results[f"{large} models"][way]
        return (high.cpu_seconds - low.cpu_seconds) / (large - small) * 100

    readings = []
    for way, label in (("cli", "CLI"), ("in_process", "import + build")):
        low, high = results[f"{sizes[0]} models"][way], results[f"{sizes[-1]} models"][way]
        steps = ", ".join(f"{per_100(way, a, b):.2f}" for a, b in zip(sizes, sizes[1:], strict=False))
        readings.append(
            f"{label}: {high.cpu_seconds / low.cpu_seconds:.2f}x the CPU time for {sizes[-1] / sizes[0]:.0f}x the "
            f"models, {per_100(way, sizes[0], sizes[-1]):.2f} s per 100 models overall (per step: {steps})"
        )
    return (
        f"Growth from {sizes[0]:,} to {sizes[-1]:,} models (CPU s per 100 models; a later step steeper than an "
        f"earlier one would mean faster than linear): {'; '.join(readings)}."
    )


def sensor_tick_rows(results: dict) -> list[str]:
    """One row per store and bucket size (results: bench.sensor_tick.measure)."""
    from bench.sensor_tick import ticks_per_lap

    rows = [
        "| store | objects | first tick s | steady tick s | objects listed (first / steady) | files requested (runs) "
        "| bare listing s | first tick / bare listing | steady tick / bare listing | ticks per sweep lap "
        "| cursor bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, count), figures in results.items():
        first, steady, bare = figures.median("first_s"), figures.median("steady_s"), figures.bare.seconds
        value = figures.ticks.value
        rows.append(
            f"| {kind} | {count:,} | {first:.2f} | {steady:.2f} | {value['listed_first']:,} / "
            f"{value['listed_steady']:,} | {value['files_requested']:,} ({value['run_requests']:,}) | {bare:.2f} "
            f"| {first / bare:.1f}x "
            f"| {steady / bare:.2f}x | {ticks_per_lap(count):,} | {value['cursor_bytes']:,} |"
        )
    return rows


def file_to_kpi_rows(figure) -> list[str]:
    """One row per landed day, then the medians (figure: bench.file_to_kpi.LatencyFigure)."""
    rows = [
        "| day landed | to load run requested s | to KPI row s | of which runs running s | waiting share |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in figure.samples:
        rows.append(
            f"| {s.day} | {s.to_request_s:.1f} | {s.to_kpi_s:.1f} | {s.running_s:.1f} | {s.waiting_share:.0%} |"
        )
    rows.append(
        f"| median | {figure.median('to_request_s'):.1f} | {figure.median('to_kpi_s'):.1f} "
        f"| {figure.median('running_s'):.1f} | {figure.median('waiting_share'):.0%} |"
    )
    return rows


def raw_load_summary(results: dict[int, dict[str, Figure]], lines: dict[int, int]) -> list[str]:
    scales = sorted(results)
    top = results[scales[-1]]
    ours, bare, pandas = top["cumulus"], top["duckdb"], top["pandas"]
    at = f"{lines[scales[-1]]:,} lines"
    rows = [
        summary_row(
            1,
            f"raw load vs the engine limit ({at})",
            ">= 0.7x",
            f"{bare.seconds / ours.seconds:.2f}x",
            bare.seconds / ours.seconds >= 0.7,
            f"{ours.seconds:.1f} s against a bare `read_json` of {bare.seconds:.1f} s: validation, quarantine and "
            "de-duplication are the difference (section 6)",
        ),
        summary_row(
            1,
            f"raw load vs pandas ({at})",
            ">= 5x faster",
            f"{pandas.seconds / ours.seconds:.1f}x",
            pandas.seconds / ours.seconds >= 5,
            f"pandas `read_json` + insert took {pandas.seconds:.0f} s and {pandas.peak_rss_mb:,.0f} MB",
        ),
    ]
    if len(scales) >= 2:
        low, high = results[scales[-2]]["cumulus"], ours
        growth = high.peak_rss_mb / low.peak_rss_mb
        rows.append(
            summary_row(
                1,
                f"raw load peak memory (item 5), {lines[scales[-2]]:,} -> {lines[scales[-1]]:,} lines",
                "flat as the day grows",
                f"{growth:.2f}x",
                growth < 1.25,
                f"{low.peak_rss_mb:,.0f} -> {high.peak_rss_mb:,.0f} MB for "
                f"{lines[scales[-1]] / lines[scales[-2]]:.0f}x the lines: DuckDB spills beyond its memory limit",
            )
        )
    return rows


def backfill_summary(results: list) -> list[str]:
    top = max(results, key=lambda r: r.history.days)
    speedup = top.per_day_total_seconds / top.single_run.seconds
    rows = [
        summary_row(
            2,
            f"single-run backfill vs one run per day ({top.history.days} days)",
            ">= 20x faster",
            f"{speedup:.1f}x",
            speedup >= 20,
            f"{top.single_run.seconds:.0f} s against {top.per_day_total_seconds:.0f} s: a run's fixed cost "
            f"({top.per_day_median_seconds:.0f} s for a day) is paid once",
        ),
        summary_row(
            2,
            f"orchestration overhead ({top.history.days} days)",
            "< 20%",
            f"{top.overhead_share:.0%}",
            top.overhead_share < 0.2,
            f"{top.single_run.seconds:.0f} s in Dagster against {top.bare.seconds:.0f} s of loads and dbt alone "
            "(section 6 says where the rest goes)",
        ),
    ]
    if len(results) >= 2:
        low = min(results, key=lambda r: r.history.days)
        rows.append(
            summary_row(
                2,
                f"backfill peak memory (item 5), {low.history.days} -> {top.history.days} days",
                "flat as the range grows",
                f"{top.single_run.peak_rss_mb / low.single_run.peak_rss_mb:.2f}x",
                top.single_run.peak_rss_mb / low.single_run.peak_rss_mb < 1.25,
                f"{low.single_run.peak_rss_mb:,.0f} -> {top.single_run.peak_rss_mb:,.0f} MB",
            )
        )
    return rows


def location_load_summary(results: dict[str, dict[str, Figure]]) -> list[str]:
    floor, shipped = results["floor"]["cli"], results["shipped"]["cli"]
    ratio = shipped.seconds / floor.seconds
    rows = [
        summary_row(
            3,
            "code location load, shipped project vs one-asset floor (CLI)",
            "<= 1.5x",
            f"{ratio:.2f}x",
            ratio <= 1.5,
            f"{shipped.seconds:.1f} s against {floor.seconds:.1f} s (section 6 says what the difference is)",
        )
    ]
    sizes = sorted(int(name.split()[0]) for name in results if name.endswith(" models"))
    if len(sizes) >= 2:
        low, high = results[f"{sizes[0]} models"]["cli"], results[f"{sizes[-1]} models"]["cli"]
        growth = high.cpu_seconds / low.cpu_seconds
        rows.append(
            summary_row(
                3,
                f"growth with dbt models, {sizes[0]:,} -> {sizes[-1]:,}",
                "no more than linear",
                f"{growth:.2f}x CPU for {sizes[-1] / sizes[0]:.0f}x models",
                growth <= sizes[-1] / sizes[0],
                "the fixed cost dominates; the per-model cost is small (section 3)",
            )
        )
    return rows


def sensor_tick_summary(results: dict) -> list[str]:
    """Bounded = a steady tick costs about the same at the largest bucket as at the smallest that fills a
    sweep slice (below that, a tick lists the whole bucket, so it is cheaper)."""
    from assets.landing import SWEEP_SLICE

    rows = []
    for kind in sorted({kind for kind, _ in results}):
        counts = sorted(count for k, count in results if k == kind)
        base = next((c for c in counts if c >= SWEEP_SLICE), counts[0])
        low, high = results[kind, base], results[kind, counts[-1]]
        growth = high.median("steady_s") / low.median("steady_s")
        rows.append(
            summary_row(
                4,
                f"steady sensor tick, {kind}, {base:,} -> {counts[-1]:,} objects",
                "bounded whatever the bucket size",
                f"{growth:.1f}x",
                growth < 2,
                f"{low.median('steady_s'):.2f} -> {high.median('steady_s'):.2f} s; a steady tick listed "
                f"{high.ticks.value['listed_steady']:,} of {counts[-1]:,} objects",
            )
        )
    return rows


def file_to_kpi_summary(figure) -> list[str]:
    to_kpi = figure.median("to_kpi_s")
    return [
        summary_row(
            5,
            "file landed -> KPI row, `make dev` running",
            "under 60 s",
            f"{to_kpi:.0f} s",
            to_kpi < 60,
            f"load requested after {figure.median('to_request_s'):.0f} s; runs busy "
            f"{figure.median('running_s'):.0f} s of it, the rest waits for sensor ticks "
            f"({figure.sensor_interval_s} s and {figure.automation_interval_s} s intervals) and queues",
        )
    ]
