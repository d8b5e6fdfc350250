"""Figure 3: how long the code location takes to load, against the floor of a one-asset project.

- the project as shipped: `dagster definitions validate -f definitions.py` (the CLI in a subprocess, with
  the environment `make` exports), and an import + build + `validate_loadable` in a new Python interpreter
  (what a code server does before it can answer, without the CLI's own machinery);
- floor: the same two on a one-asset Dagster project (bench.data.floor_project);
- growth: the same two on synthetic dbt projects of N trivial models (bench.data.synthetic_dbt_project),
  turned into assets the way the KPI pipeline does it (`build_dbt_definitions` + `WarehouseTranslator`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg

from bench.data import environment_with_repository, floor_project, synthetic_dbt_project
from bench.measure import Figure, figure
from resources.settings import REPO_ROOT

SHIPPED_DEFINITIONS = REPO_ROOT / "definitions.py"


def validate_cli(definitions_file: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    # The CLI refuses a DAGSTER_HOME that does not exist (a fresh clone has no instance yet): give it an empty one.
    with tempfile.TemporaryDirectory(prefix="bench-dagster-home-") as home:
        done = subprocess.run(
            [str(dagster), "definitions", "validate", "-f", definitions_file.name],
            cwd=definitions_file.parent,
            env={**environment_with_repository(), "DAGSTER_HOME": home},
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(
            f"dagster definitions validate {definitions_file} failed:\n{(done.stdout + done.stderr)[-3000:]}"
        )


# Run by a fresh interpreter, so the imports it triggers (Dagster's included) are part of the figure: a
# spawned benchmark process would already have imported Dagster to unpickle its target.
LOAD_SCRIPT = """
import runpy, sys
from pathlib import Path
import dagster as dg
defs = runpy.run_path(sys.argv[1])["defs"]
if not isinstance(defs, dg.Definitions):
    defs = defs()  # a @dg.definitions function, as definitions.py has
dg.Definitions.validate_loadable(defs)
hwm = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(len(defs.resolve_asset_graph().get_all_asset_keys()), int(hwm.split()[1]) / 1024)
"""


def load_in_python(definitions_file: Path) -> tuple[int, float]:
    """Import the file, build its Definitions, resolve and validate them in a new interpreter.

    Returns the number of assets and that interpreter's peak memory (MB).
    """
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", LOAD_SCRIPT, definitions_file.name],
        cwd=definitions_file.parent,
        env=environment_with_repository(),
        check=True,
        capture_output=True,
        text=True,
    )
    assets, peak_mb = done.stdout.split()
    return int(assets), float(peak_mb)


def synthetic_definitions(project_dir: Path) -> dg.Definitions:
    """A code location over a synthetic dbt project, wired like the KPI pipeline's dbt models."""
    from dagster_dbt import DbtCliResource, DbtProject

    from assets.dbt_models import DbtPartitioning, WarehouseTranslator, build_dbt_definitions
    from assets.partitions import daily_partitions
    from assets.policies import follows_upstream
    from resources.settings import DBT_EXECUTABLE
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    models = build_dbt_definitions(
        name="synthetic",
        project=project,
        partitionings=[DbtPartitioning("daily", daily_partitions)],
        translator=WarehouseTranslator("snowflake", "synthetic", follows_upstream()),
        pool="snowflake_warehouse",
        dbt_resource_key="dbt",
        warehouse_resource_key="snowflake",
    )
    warehouse = Path(tempfile.gettempdir()) / "cumulus-bench-synthetic.duckdb"  # never opened by a load
    return dg.Definitions(
        assets=models,
        resources={
            "dbt": DbtCliResource(
                project_dir=project,
                profiles_dir=str(project_dir),
                dbt_executable=str(DBT_EXECUTABLE),
            ),
            "snowflake": DuckDBWarehouse(path=str(warehouse)),
        },
    )


def both_ways(name: str, definitions_file: Path, repeats: int) -> dict[str, Figure]:
    return {
        "cli": figure(f"{name}: dagster definitions validate", repeats, validate_cli, definitions_file),
        "in_process": figure(f"{name}: import + build in Python", repeats, load_in_python, definitions_file),
    }


def measure(data: Path, model_counts: list[int], repeats: int) -> dict[str, dict[str, Figure]]:
    """Figures by project: "floor", "shipped", and one per synthetic size ("100 models", ...)."""
    results = {
        "floor": both_ways("floor", floor_project(data), repeats),
        "shipped": both_ways("shipped", SHIPPED_DEFINITIONS, repeats),
    }
    for count in model_counts:
        project = synthetic_dbt_project(data, count)
        results[f"{count} models"] = both_ways(f"{count} models", project / "definitions.py", repeats)
    return results
