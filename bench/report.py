"""Write docs/BENCHMARKS.md: the results table first, then how it was measured and on what machine."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

from bench.measure import Figure


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    packages = ", ".join(f"{p} {version(p)}" for p in ("dagster", "dagster-dbt", "duckdb", "dbt-core", "pandas"))
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_gib:.0f} GiB memory, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {packages}"
    )


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


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


def write(path: Path, command: str, repeats: int, sections: dict[int, list[str]]) -> None:
    """Write the figures measured now, keeping from the existing file those not rerun (e.g. `--figures
    sensor_tick` updates figure 4 only). Each section says which command and commit measured it."""
    stamp = f"Measured by `{command}` (repeats per figure: {repeats}) at commit {git_revision()}."
    merged = {**existing_sections(path), **{n: [*lines, "", stamp] for n, lines in sections.items()}}
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/); every ratio compares figures measured in the same run, on the same",
        "machine, each the median of several runs in a fresh process (peak memory: the largest of them).",
        "",
        *(line for _, lines in sorted(merged.items()) for line in [*lines, ""]),
        "## How these were measured",
        "",
        f"- Command of the latest run: `{command}` (repeats per figure: {repeats}), at commit {git_revision()}.",
        f"- Machine: {machine()}.",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")


def existing_sections(path: Path) -> dict[int, list[str]]:
    """The numbered figure sections (`## 3. ...` up to the next `## `) of an existing report."""
    sections: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith("## "):
            number = line[3:].split(".", 1)[0]
            current = sections.setdefault(int(number), []) if number.isdigit() else None
        if current is not None:
            current.append(line)
    return {n: _strip_blank_tail(lines) for n, lines in sections.items()}


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


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
    rows = [
        "| store | objects | first tick s | steady tick s | objects listed (first / steady) | run requests "
        "| bare listing s | first tick / bare listing | steady tick / bare listing | caught-up cursor KB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (kind, count), figures in results.items():
        first, steady, bare = figures.median("first_s"), figures.median("steady_s"), figures.bare.seconds
        value = figures.ticks.value
        rows.append(
            f"| {kind} | {count:,} | {first:.2f} | {steady:.2f} | {value['listed_first']:,} / "
            f"{value['listed_steady']:,} | {value['run_requests']:,} | {bare:.2f} | {first / bare:.1f}x "
            f"| {steady / bare:.1f}x | {value['cursor_kb']:.0f} |"
        )
    return rows
