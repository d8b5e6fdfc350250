"""The dbt models' asset definitions select by tag from the manifest, without dbt-core in this process.

dagster-dbt would evaluate `select="tag:..."` with dbt-core's own selector; the project keeps dbt-core out
of the Dagster environment (assets/dbt_models.py), so the selection is ours and must equal dbt's.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest

from assets.dbt_models import tag_selection
from assets.kpi.models import dbt_models
from resources.dbt import DBT_PROJECT_DIR, dbt_project
from resources.settings import DBT_EXECUTABLE

TAGS = ("daily", "weekly", "monthly")


def dbt_list(tag: str, target_path) -> set[str]:
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
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
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
    manifest = json.loads(dbt_project.manifest_path.read_text())
    assert tag_selection(manifest, tag) == dbt_list(tag, tmp_path)


def test_each_definition_holds_its_tags_models_and_their_tests():
    manifest = json.loads(dbt_project.manifest_path.read_text())
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
