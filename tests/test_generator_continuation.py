"""`python -m generator` on a lake that already holds exports continues their world: the days it adds are the
days one longer generation would have written, so customer and product ids keep meaning the same people."""

import gzip
import json
from pathlib import Path

from generator.__main__ import main as generate
from generator.world_record import WORLD_RECORD_KEY, read_world_record
from resources.storage.local import LocalObjectStore

SMALL = ["--orders-per-day", "40", "--malformed-rate", "0"]


def shop_files(lake: Path) -> dict[str, bytes]:
    store = LocalObjectStore(root=str(lake))
    return {o.key: store.read_bytes(o.key) for o in store.list_objects("shop/")}


def signups(lake: Path, days: list[str]) -> dict[int, str]:
    """customer_id -> signup_at over the customers exports of `days`."""
    found = {}
    for key, data in shop_files(lake).items():
        if key.startswith("shop/customers/") and any(f"dt={day}/" in key for day in days):
            for line in gzip.decompress(data).decode().splitlines():
                record = json.loads(line)
                found[record["customer_id"]] = record["signup_at"]
    return found


def test_adding_days_continues_the_lakes_world_byte_for_byte(tmp_path):
    lake, longer = tmp_path / "lake", tmp_path / "longer"
    assert generate(["--lake", str(lake), "--start", "2026-11-01", "--days", "4", *SMALL]) == 0
    assert generate(["--lake", str(lake), "--days", "3", "--malformed-rate", "0"]) == 0  # from 2026-11-05
    assert generate(["--lake", str(longer), "--start", "2026-11-01", "--days", "7", *SMALL]) == 0

    assert shop_files(lake) == shop_files(longer)
    record = read_world_record(LocalObjectStore(root=str(lake)))
    assert (record.seed, str(record.world_start), str(record.generated_through)) == (7, "2026-11-01", "2026-11-07")
    first_run = signups(lake, ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"])
    added = signups(lake, ["2026-11-05", "2026-11-06", "2026-11-07"])
    assert added and all(first_run.get(cid, signup) == signup for cid, signup in added.items())


def test_a_new_world_over_the_same_lake_reuses_the_ids_for_other_people(tmp_path):
    """What --new-world does (and what adding days did before the world was recorded)."""
    lake = tmp_path / "lake"
    assert generate(["--lake", str(lake), "--start", "2026-11-01", "--days", "2", *SMALL]) == 0
    assert generate(["--lake", str(lake), "--start", "2026-11-03", "--days", "1", "--new-world", *SMALL]) == 0
    first_run, new_world = signups(lake, ["2026-11-01", "2026-11-02"]), signups(lake, ["2026-11-03"])
    assert sum(first_run.get(cid, signup) != signup for cid, signup in new_world.items()) > 100


def test_arguments_of_another_world_are_refused_in_one_line(tmp_path, capsys):
    lake = tmp_path / "lake"
    assert generate(["--lake", str(lake), "--start", "2026-11-01", "--days", "1", *SMALL]) == 0
    capsys.readouterr()
    assert generate(["--lake", str(lake), "--days", "1", "--seed", "8"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "--seed 8 would start another one" in err and WORLD_RECORD_KEY in err and "--new-world" in err
