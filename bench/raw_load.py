"""Figure 1 (and 5, memory): one day of order lines from gzipped JSON lines into the warehouse.

- cumulus: the `snowflake/raw/order_items` asset materialized in-process for that day, so validation,
  quarantine, de-duplication, the independent line recount, metadata and checks are all included;
- engine limit: a bare DuckDB `read_json` of the same files into a table;
- what a user would write without cumulus: pandas `read_json` + an insert into DuckDB;
- cumulus again on the same day with 0.2% malformed lines (the generator's usual rate), which the
  baselines cannot read: what quarantining costs.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from bench.data import DayExport, bench_home, with_malformed_lines
from bench.measure import Figure, Spec, interleaved


def cumulus_setup(export: DayExport) -> tuple:
    """What a code server has done before any run: imports and the definitions, over a fresh home."""
    import dagster as dg

    from definitions import build_definitions
    from resources.settings import Settings

    home = bench_home(export.lake)
    atexit.register(shutil.rmtree, home, True)
    return build_definitions(Settings(env="local", home=home)), dg.DagsterInstance.ephemeral()


def cumulus_asset(export: DayExport, prepared: tuple) -> None:
    from assets.kpi.keys import raw_table_key
    from cli.runs import materialize_range

    defs, instance = prepared
    day = export.day.isoformat()
    assert materialize_range(defs, instance, [raw_table_key("order_items")], day, day).success


def bare_duckdb(export: DayExport) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "wh.duckdb"))
        files = [str(p) for p in export.order_item_files]
        con.execute(
            "CREATE TABLE order_items AS SELECT * FROM read_json($files, format='newline_delimited')", {"files": files}
        )
        con.close()


def pandas_insert(export: DayExport) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "wh.duckdb"))
        frame = pd.concat(pd.read_json(p, lines=True, compression="gzip") for p in export.order_item_files)
        con.register("frame", frame)
        con.execute("CREATE TABLE order_items AS SELECT * FROM frame")
        con.close()


def measure(export: DayExport, repeats: int) -> dict[str, Figure]:
    malformed = with_malformed_lines(export)
    return interleaved(
        {
            "cumulus": Spec("cumulus asset run", cumulus_asset, (export,), setup=cumulus_setup),
            "duckdb": Spec("bare DuckDB read_json", bare_duckdb, (export,)),
            "pandas": Spec("pandas read_json + insert", pandas_insert, (export,)),
            "cumulus_malformed": Spec(
                "cumulus asset run, 0.2% malformed lines", cumulus_asset, (malformed,), setup=cumulus_setup
            ),
        },
        repeats,
    )
