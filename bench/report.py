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


def write(path: Path, command: str, repeats: int, sections: list[str]) -> None:
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/); every ratio compares figures measured in the same run, on the same",
        "machine, each the median of several runs in a fresh process (peak memory: the largest of them).",
        "",
        *sections,
        "",
        "## How these were measured",
        "",
        f"- Command: `{command}` (repeats per figure: {repeats}), at commit {git_revision()}.",
        f"- Machine: {machine()}.",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")
