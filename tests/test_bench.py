"""The benchmark suite runs end to end at a tiny scale (the real figures come from `make bench`)."""

from __future__ import annotations

from bench.__main__ import main
from bench.report import existing_sections, existing_summary_rows, write


def table_row(text: str, first_cells: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {first_cells} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_bench_suite_writes_a_report_with_ratios_against_same_run_baselines(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    tiny = ["--scales", "5000", "--models", "3", "--objects", "40", "--repeats", "1"]
    tiny += ["--days", "2", "--orders-per-day", "5", "--sampled-days", "1"]
    main([*tiny, "--data", str(tmp_path / "data"), "--out", str(out)])
    text = out.read_text()

    assert "| order lines | cumulus s | bare DuckDB s | pandas s |" in text
    row = next(line for line in text.splitlines() if line.startswith("| 4,") or line.startswith("| 5,"))
    assert "x |" in row

    backfill = table_row("\n".join(existing_sections(out)[2]), "2")
    assert backfill[4].endswith("x faster") and backfill[5].endswith("%")

    # The results table at the top: each figure's goals, with a verdict computed from this run's figures.
    summary = existing_summary_rows(out)
    assert sorted(summary) == [1, 2, 3, 4, 5] and text.index("## Results") < text.index("## 1. Raw load")
    verdicts = [row.strip("|").split("|")[4].strip() for rows in summary.values() for row in rows]
    # One scale, range and model count: no growth or memory rows; 2 + 2 + 1 + 2 + 1 goal rows.
    assert len(verdicts) == 8 and set(verdicts) <= {"met", "**missed**"}

    floor, shipped, synthetic = (table_row(text, name) for name in ("floor", "shipped", "3 models"))
    assert floor[1] == "1" and floor[4] == floor[5] == "1.00x / 1.00x" and int(floor[6]) > 50
    assert synthetic[1] == "4"  # three models and their source
    assert int(shipped[1]) > 10 and shipped[4].endswith("x")

    for store in ("local", "s3"):
        cells = table_row(text, f"{store} | 40")
        # Every object listed; all new, within the budget; one run per day (40 objects: 4 tables x 10 days).
        assert cells[4] == "40 / 40" and cells[5] == "40 (10)"
        assert cells[7].endswith("x")

    # A day landed with dagster dev running reached its KPI row; the runs' busy time is part of the wait.
    median = table_row(text, "median")
    assert 0 < float(median[1]) < float(median[2]) and 0 < float(median[3]) < float(median[2])

    assert "Measured by `python -m bench --scales 5000" in text and "cores" in text


def test_rerunning_one_figure_keeps_the_other_sections(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        "# Benchmarks\n\n## Results\n\n| 1 | raw load row |\n\n## 1. Raw load\n\n| 30 | a figure row |\n\n"
        "## How these were measured\n\n- old\n"
    )
    new_row = "| 3 | location row |"
    write(
        out,
        "python -m bench --figures location_load",
        1,
        {3: ["## 3. Code location load", "", "new table"]},
        {3: [new_row]},
    )
    text = out.read_text()
    assert "## 1. Raw load\n\n| 30 | a figure row |\n" in text and "new table\n\nMeasured by `python -m bench" in text
    assert text.index("## 1. Raw load") < text.index("## 3. Code location load") < text.index("## How these")
    assert "- old" not in text
    assert text.index("| 1 | raw load row |") < text.index(new_row) < text.index("## 1. Raw load")
    assert text.count("| 30 | a figure row |") == 1  # a figure's own table is not mistaken for summary rows
