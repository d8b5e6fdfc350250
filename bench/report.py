"""Write docs/BENCHMARKS.md: the results table first, then how it was measured and on what machine."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import date
from importlib.metadata import version
from pathlib import Path

from resources.dbt import dbt_core_version


def cores_and_cpu() -> str:
    """E.g. "2 cores (AMD EPYC)": each figure's section names it, since figures of one report may have been
    measured on different machines of the same kind (a rerun of one figure keeps the others)."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu})"


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    packages = ", ".join(f"{p} {version(p)}" for p in ("dagster", "dagster-dbt", "duckdb", "pandas"))
    packages += f", dbt-core {dbt_core_version()} (own environment)"
    return (
        f"{cores_and_cpu()}, {memory_gib:.0f} GiB memory, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {packages}"
    )


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


SUMMARY_HEADER = [
    "| figure | what | goal | measured | verdict | reading |",
    "|---|---|---|---:|---|---|",
]


def write(
    path: Path, command: str, repeats: int, sections: dict[int, list[str]], summaries: dict[int, list[str]]
) -> None:
    """Write the figures measured now, keeping from the existing file those not rerun (e.g. `--figures
    sensor_tick` updates figure 4 only), with their summary rows. Each section says which command and
    commit measured it."""
    stamp = (
        f"Measured by `{command}` (repeats per figure: {repeats}) at commit {git_revision()} on {date.today()}, "
        f"on {cores_and_cpu()}."
    )
    merged = {**existing_sections(path), **{n: [*lines, "", stamp] for n, lines in sections.items()}}
    summary = {**existing_summary_rows(path), **summaries}
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/); every ratio compares figures measured in the same run, on the same",
        "machine, each the median of several runs in a fresh process (peak memory: the largest of them).",
        "",
        "## Results",
        "",
        *SUMMARY_HEADER,
        *(row for _, rows in sorted(summary.items()) for row in rows),
        "",
        *(line for _, lines in sorted(merged.items()) for line in [*lines, ""]),
        "## How these were measured",
        "",
        f"- Command of the latest run: `{command}` (repeats per figure: {repeats}), "
        f"at commit {git_revision()} on {date.today()}.",
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


def existing_summary_rows(path: Path) -> dict[int, list[str]]:
    """The summary rows of an existing report, by the figure number in their first cell."""
    rows: dict[int, list[str]] = {}
    in_results = False
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith("## "):
            in_results = line == "## Results"
        first = line.strip("|").split("|", 1)[0].strip() if in_results and line.startswith("| ") else ""
        if first.isdigit():
            rows.setdefault(int(first), []).append(line)
    return rows


def _strip_blank_tail(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


# ----------------------------------------------------------------------------- summary rows, one function per figure
