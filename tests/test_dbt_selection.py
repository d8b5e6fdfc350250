"""The dbt models' asset definitions select by tag from the manifest, without dbt-core in this process.

dagster-dbt would evaluate `select="tag:..."` with dbt-core's own selector; the project keeps dbt-core out
of the Dagster environment (assets/dbt_models.py), so the selection is ours and must equal dbt's.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess

import pytest
from dagster_dbt import DbtProject

from assets.dbt_models import WarehouseTranslator, build_dbt_definitions, tag_selection
from assets.kpi.models import PARTITIONINGS, dbt_models
from assets.policies import follows_upstream
from resources.dbt import KPI_DBT
from resources.settings import DBT_EXECUTABLE

TAGS = ("daily", "weekly", "monthly")


def dbt_list(tag: str, target_path, project_dir=KPI_DBT.project_dir) -> set[str]:
    """What dbt itself selects for `tag:<tag>` (dbt ls, default eager indirect selection)."""
    done = subprocess.run(
        [
            str(DBT_EXECUTABLE),
            "ls",
            "--select",
            f"tag:{tag}",
            "--output",
            "json",
            "--output-keys",
            "unique_id",
            "--quiet",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(target_path),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return {json.loads(line)["unique_id"] for line in done.stdout.splitlines() if line.startswith("{")}


def test_the_dagster_environment_has_no_dbt_core():
    assert importlib.util.find_spec("dbt.version") is None
    assert importlib.util.find_spec("dbt.adapters") is None


@pytest.mark.parametrize("tag", TAGS)
def test_tag_selection_is_what_dbt_selects(tag, tmp_path):
    manifest = json.loads(KPI_DBT.project.manifest_path.read_text())
    assert tag_selection(manifest, tag) == dbt_list(tag, tmp_path)


def test_each_definition_holds_its_tags_models_and_their_tests():
    manifest = json.loads(KPI_DBT.project.manifest_path.read_text())
    nodes = manifest["nodes"]
    for tag, definition in zip(TAGS, dbt_models, strict=True):
        models = {uid for uid, node in nodes.items() if node["resource_type"] == "model" and tag in node["tags"]}
        in_definition = {spec.metadata["dagster_dbt/unique_id"] for spec in definition.specs}
        assert in_definition == models, tag
        checks = {check.metadata["dagster_dbt/unique_id"] for check in definition.check_specs}
        # every test attached to one of the tag's models is a check of this definition, and only those
        attached = {
            uid
            for uid, node in nodes.items()
            if node["resource_type"] == "test" and node.get("attached_node") in models
        }
        assert checks == attached, tag
        assert definition.op.tags["dagster_dbt/select"] == f"tag:{tag}"


def test_every_dbt_model_is_in_exactly_one_dagster_definition(make_lane):
    manifest = json.loads(KPI_DBT.project.manifest_path.read_text())
    models = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    placed: list[str] = []
    for definition in make_lane().defs.assets:
        for spec in getattr(definition, "specs", ()):
            uid = (spec.metadata or {}).get("dagster_dbt/unique_id")
            if uid in models:
                placed.append(uid)
    assert sorted(placed) == sorted(models)


def test_a_model_without_a_partitioning_tag_gets_an_unpartitioned_definition_instead_of_dropping_out(tmp_path):
    """A new model that nobody tagged daily/weekly/monthly is still an asset (and dbt builds it)."""
    project_dir = tmp_path / "kpi"
    shutil.copytree(KPI_DBT.project_dir, project_dir, ignore=shutil.ignore_patterns("target", "logs"))
    (project_dir / "models" / "kpi" / "kpi_untagged_note.sql").write_text("select 1 as one\n")
    subprocess.run(
        [
            str(DBT_EXECUTABLE),
            "parse",
            "--quiet",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
        ],
        check=True,
        capture_output=True,
    )
    definitions = build_dbt_definitions(
        name="kpi",
        project=DbtProject(project_dir=project_dir, profiles_dir=project_dir),
        partitionings=PARTITIONINGS,
        translator=WarehouseTranslator("snowflake", "kpi", follows_upstream()),
        pool="pool",
        dbt_resource_key="dbt_kpi",
        warehouse_resource_key="snowflake",
    )
    untagged = definitions[-1]
    assert untagged.partitions_def is None
    assert [spec.key.path[-1] for spec in untagged.specs] == ["kpi_untagged_note"]
    assert untagged.op.tags["dagster_dbt/exclude"] == "tag:daily tag:weekly tag:monthly"
    assert [len(d.specs) for d in definitions[:-1]] == [len(d.specs) for d in dbt_models]
