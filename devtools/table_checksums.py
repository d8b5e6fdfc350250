"""Order-independent checksums of every table in a DuckDB warehouse file, to compare two builds.

    python -m devtools.table_checksums PATH [--against FILE.json] [--write FILE.json]

A table's checksum is its row count and the sum of each row's hash (DuckDB's `hash` of the whole row), so
two tables with the same rows in any order compare equal, and any changed value shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb


def table_checksums(path: str | Path) -> dict[str, list[int]]:
    """`schema.table` -> [row count, sum of row hashes] for every base table of the file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"
        ).fetchall()
        sums = {}
        for schema, table in tables:
            count, total = con.execute(
                f'SELECT count(*), coalesce(sum(hash(t)), 0)::HUGEINT FROM "{schema}"."{table}" AS t'
            ).fetchone()
            sums[f"{schema}.{table}"] = [int(count), int(total)]
        return sums
    finally:
        con.close()


def differences(before: dict[str, list[int]], after: dict[str, list[int]]) -> list[str]:
    lines = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            lines.append(f"{name}: {before.get(name)} -> {after.get(name)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--against", help="a JSON file written by --write: print the differences, exit 1 if any")
    parser.add_argument("--write", help="write the checksums to this JSON file")
    args = parser.parse_args(argv)
    sums = table_checksums(args.path)
    if args.write:
        Path(args.write).write_text(json.dumps(sums, indent=1, sort_keys=True))
    if args.against:
        diff = differences(json.loads(Path(args.against).read_text()), sums)
        print("\n".join(diff) if diff else f"all {len(sums)} tables identical")
        return 1 if diff else 0
    for name, (count, total) in sums.items():
        print(f"{name}: {count} rows, {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
