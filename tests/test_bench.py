"""The benchmark suite runs end to end at a tiny scale (the real figures come from `make bench`)."""

from __future__ import annotations

from bench.__main__ import main


def test_bench_suite_writes_a_report_with_ratios_against_same_run_baselines(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    main(["--scales", "5000", "--repeats", "1", "--data", str(tmp_path / "data"), "--out", str(out)])
    text = out.read_text()
    assert "| order lines | cumulus s | bare DuckDB s | pandas s |" in text
    row = next(line for line in text.splitlines() if line.startswith("| 4,") or line.startswith("| 5,"))
    assert "x |" in row
    assert "Command: `python -m bench --scales 5000" in text and "cores" in text
