"""The asset graph as a reviewed snapshot: keys, deps, partitions, checks, freshness, owners, kinds.

Any change to the graph shows in review as a diff of tests/snapshots/asset_graph.json. After an intended
change, rewrite it: `CUMULUS_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest tests/test_asset_graph_snapshot.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dagster as dg

from definitions import build_definitions
from resources.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def describe_partitions(partitions_def: dg.PartitionsDefinition | None) -> Any:
    if partitions_def is None:
        return None
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return {
            "cron": partitions_def.cron_schedule,
            "start": partitions_def.start.isoformat(),
            "timezone": partitions_def.timezone,
            "end_offset": partitions_def.end_offset,
        }
    return type(partitions_def).__name__


def describe_freshness(policy: Any) -> Any:
    if policy is None:
        return None
    fields = ("deadline_cron", "lower_bound_delta", "timezone", "fail_window", "warn_window")
    return {"type": type(policy).__name__, **{f: str(getattr(policy, f)) for f in fields if hasattr(policy, f)}}


def graph_snapshot(defs: dg.Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "tags": {k: v for k, v in sorted(node.tags.items()) if k.startswith("cumulus/")},
            "materializable": node.is_materializable,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": describe_partitions(node.partitions_def),
            "checks": sorted(check.name for check in node.check_keys),
            "freshness": describe_freshness(node.freshness_policy_or_from_metadata),
            "automation": node.automation_condition.get_label() if node.automation_condition else None,
            "backfill_policy": str(node.backfill_policy.policy_type) if node.backfill_policy else None,
        }
    sensors = sorted(sensor.name for sensor in defs.sensors or [])
    return {"assets": assets, "sensors": sensors}


def test_the_asset_graph_matches_its_reviewed_snapshot(tmp_path):
    current = graph_snapshot(build_definitions(Settings(env="local", home=tmp_path)))
    rendered = json.dumps(current, indent=1, sort_keys=True) + "\n"
    if os.environ.get("CUMULUS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.exists(), f"no snapshot yet: run with CUMULUS_UPDATE_SNAPSHOT=1 to write {SNAPSHOT}"
    assert json.loads(SNAPSHOT.read_text()) == current, (
        "the asset graph changed: review the difference, then rewrite the snapshot with CUMULUS_UPDATE_SNAPSHOT=1"
    )
