"""Raw-table loads: one export day of one table from the lake into the warehouse, idempotently.

Shared by every pipeline that lands files and loads them into a warehouse: the factory builds the
asset, its reconciliation / quarantine / schema checks and its metadata once, from the table contract.
"""

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    TableColumn,
    TableSchema,
    asset,
)
from isal import igzip, isal_zlib

from assets.landing import LOADED_FILE_VERSIONS
from assets.partitions import partition_days
from contracts.schema import TableContract
from contracts.shop import export_partition_prefix
from resources.storage.interface import ObjectStore
from resources.warehouse import validation_sql as rv
from resources.warehouse.interface import QUARANTINE_TABLE, RAW_SCHEMA, RawFile, RawLoadResult, Warehouse

# Above this share of quarantined lines a day is suspicious (the exports' own error rate is ~0.2%).
QUARANTINE_WARN_SHARE = 0.01
EXPORT_SUFFIX = ".jsonl.gz"


class MissingExportFiles(RuntimeError):
    """A partition was asked for, but no export file of it has landed."""


@dataclass(frozen=True)
class DayLoad:
    result: RawLoadResult
    file_lines: int
    """Lines in the day's files, counted in Python independently of the engine that loaded them."""
    file_versions: tuple[str, ...]
    """`key@etag` of every file loaded: the landing sensor skips versions a load already contains."""


def load_export_day(store: ObjectStore, warehouse: Warehouse, contract: TableContract, day: date) -> DayLoad:
    prefix = export_partition_prefix(contract.name, day.isoformat())
    objects = [o for o in store.list_objects(prefix) if o.key.endswith(EXPORT_SUFFIX)]
    if not objects:
        raise MissingExportFiles(
            f"no export file of {contract.name} for {day}: nothing matching {prefix}*{EXPORT_SUFFIX} "
            "has landed; load this day once its export arrives"
        )
    with ExitStack() as stack:
        files = [RawFile(o.key, o.etag, stack.enter_context(store.local_copy(o.key))) for o in objects]
        # The recount runs beside the load: the engine reads a gzip stream on one thread per file, and
        # igzip releases the GIL while it decompresses (two files on two threads: 0.25 -> 0.18 s), so the
        # recount (~0.12 s of CPU per million lines) mostly uses what the engine leaves of the cores.
        counting = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="recount"))
        file_lines = counting.submit(lambda: sum(count_lines(f.path) for f in files))
        result = warehouse.load_raw_partition(contract, day, files)
        return DayLoad(result, file_lines.result(), tuple(o.version for o in objects))


def count_lines(path: Path) -> int:
    """Lines in a (gzipped) text file, counted without the warehouse engine, to reconcile against it.

    ISA-L's gzip (igzip) instead of zlib: the recount shares the 2 cores with the load, and igzip
    decompresses the same files with 2.3x less CPU (5M order lines: 1.29-1.39 s -> 0.57 s), which made
    the whole day's load 5.41 -> 4.84 s (medians of 3, interleaved, 2026-12-06).
    """
    lines, last = 0, b"\n"
    opener = igzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError, isal_zlib.error) as error:
        raise RuntimeError(f"cannot count lines of {path}: {error}") from error
    return lines + (last != b"\n")


def table_schema(contract: TableContract) -> TableSchema:
    descriptions = {f.name: f.description for f in contract.fields}
    return TableSchema(
        columns=[
            TableColumn(name, dtype.lower(), description=descriptions.get(name, "lineage: where the row came from"))
            for name, dtype in rv.warehouse_columns(contract)
        ]
    )


def _reconciliation(warehouse: Warehouse, contract: TableContract, loads: Sequence[DayLoad]) -> list[dict]:
    """Independent recount after commit, per day: file lines = stored rows + quarantined + duplicates dropped.

    One query for all the step's days, not one per day: each query opens the warehouse (DuckDB: ~20 ms
    with the checkpoint on close; Snowflake: a round trip), which made the per-day recount ~7% of a 30-day
    backfill's time (bench figure 2, profiled).
    """
    days = [load.result.export_date for load in loads]
    counts = warehouse.query(
        f"SELECT 'stored' AS kind, CAST(_export_date AS VARCHAR) AS day, count(*) AS n "
        f"FROM {RAW_SCHEMA}.{rv.safe_ident(contract.name)} WHERE _export_date BETWEEN $first AND $last "
        "GROUP BY _export_date "
        "UNION ALL "
        "SELECT 'quarantined' AS kind, CAST(export_date AS VARCHAR) AS day, count(*) AS n "
        f"FROM {RAW_SCHEMA}.{QUARANTINE_TABLE} "
        "WHERE source_table = $t AND export_date BETWEEN $first AND $last GROUP BY export_date",
        {"first": min(days), "last": max(days), "t": contract.name},
    )
    found = {(row.kind, row.day): int(row.n) for row in counts.itertuples()}
    recs = []
    for load in loads:
        result, day = load.result, load.result.export_date.isoformat()
        stored, quarantined = found.get(("stored", day), 0), found.get(("quarantined", day), 0)
        recs.append(
            {
                "day": day,
                "file_lines": load.file_lines,
                "stored": stored,
                "quarantined": quarantined,
                "duplicates_dropped": result.duplicates_dropped,
                "balanced": load.file_lines == stored + quarantined + result.duplicates_dropped,
            }
        )
    return recs


def _checks(
    warehouse: Warehouse, contract: TableContract, loads: Sequence[DayLoad], key: AssetKey
) -> Iterator[AssetCheckResult]:
    recs = _reconciliation(warehouse, contract, loads)
    results = [load.result for load in loads]
    yield AssetCheckResult(
        asset_key=key,
        check_name="reconciles_with_files",
        passed=all(r["balanced"] for r in recs),
        metadata={"days": MetadataValue.json(recs)},
        description="rows in the files = rows loaded + rows quarantined + duplicates dropped, per day",
    )
    lines = sum(r.lines_read for r in results)
    quarantined = sum(r.quarantined for r in results)
    share = quarantined / lines if lines else 0.0
    yield AssetCheckResult(
        asset_key=key,
        check_name="quarantine_share",
        passed=share <= QUARANTINE_WARN_SHARE,
        severity=AssetCheckSeverity.WARN,
        metadata={"quarantined": quarantined, "lines": lines, "share": MetadataValue.float(share)},
        description=f"at most {QUARANTINE_WARN_SHARE:.0%} of lines quarantined",
    )
    expected = [(n, t) for n, t in rv.warehouse_columns(contract)]
    actual = [(n, _canonical_type(t)) for n, t in warehouse.table_columns(RAW_SCHEMA, contract.name)]
    unknown = sorted({f for r in results for f in r.unknown_fields})
    drift = [c for c in actual if c not in expected] + [c for c in expected if c not in actual]
    yield AssetCheckResult(
        asset_key=key,
        check_name="schema_matches_contract",
        passed=not drift and not unknown,
        severity=AssetCheckSeverity.ERROR if drift else AssetCheckSeverity.WARN,
        metadata={
            "columns_not_in_contract_or_missing": MetadataValue.json([list(c) for c in drift]),
            "fields_in_files_not_in_contract": MetadataValue.json(unknown),
        },
        description="the warehouse table and the landed files match the contract's fields",
    )


def _canonical_type(warehouse_type: str) -> str:
    return {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}.get(warehouse_type.upper(), warehouse_type.upper())


def _table_metadata(contract: TableContract) -> dict:
    """What every partition's materialization shares: the table and its columns."""
    return {
        "dagster/column_schema": MetadataValue.table_schema(table_schema(contract)),
        "dagster/table_name": MetadataValue.text(f"{RAW_SCHEMA}.{contract.name}"),
    }


def _day_metadata(load: DayLoad) -> dict:
    """One export day's load, on that day's partition. A range run materializes every day of the range, and
    Dagster copies a step's output metadata onto each of them: range totals there made each day's row count
    the range's, and the loaded-file list (which the landing sensor reads per day) grew with the range on
    every day, so a 90-day backfill wrote 90 copies of a 90-day list."""
    r = load.result
    return {
        "dagster/row_count": MetadataValue.int(r.rows_loaded),
        "lines_read": MetadataValue.int(r.lines_read),
        "quarantined": MetadataValue.int(r.quarantined),
        "duplicates_dropped": MetadataValue.int(r.duplicates_dropped),
        "quarantine_reasons": MetadataValue.json(r.quarantine_reasons),
        LOADED_FILE_VERSIONS: MetadataValue.json(list(load.file_versions)),
    }


def _load_summary(contract: TableContract, loads: Sequence[DayLoad]) -> str:
    results = [load.result for load in loads]
    days = [r.export_date.isoformat() for r in results]
    return (
        f"{contract.name} {days[0]}..{days[-1]} ({len(days)} day(s)): {sum(r.rows_loaded for r in results)} rows "
        f"loaded, {sum(r.quarantined for r in results)} quarantined, {sum(r.duplicates_dropped for r in results)} "
        f"duplicates dropped from {sum(len(r.files) for r in results)} file(s); each day's figures are on its "
        "partition's materialization"
    )


def build_raw_table_asset(
    contract: TableContract,
    *,
    key: AssetKey,
    files_asset: AssetKey,
    partitions_def: PartitionsDefinition,
    group_name: str,
    store_resource_key: str,
    warehouse_resource_key: str,
    kinds: set[str],
    pool: str,
) -> object:
    """The warehouse raw table of one exported table, loaded one export day (or a range) per run."""
    check_names = ("reconciles_with_files", "quarantine_share", "schema_matches_contract")

    @asset(
        key=key,
        deps=[files_asset],
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        group_name=group_name,
        kinds=kinds,
        pool=pool,
        description=f"{contract.description} Loaded per export day; bad lines go to {RAW_SCHEMA}.{QUARANTINE_TABLE}.",
        required_resource_keys={store_resource_key, warehouse_resource_key},
        check_specs=[AssetCheckSpec(name, asset=key) for name in check_names],
        metadata={"contract": MetadataValue.json(json.loads(_contract_json(contract)))},
    )
    def raw_table(context: AssetExecutionContext):
        store: ObjectStore = getattr(context.resources, store_resource_key)
        warehouse: Warehouse = getattr(context.resources, warehouse_resource_key)
        loads = []
        with warehouse.session():
            for day in partition_days(context):
                load = load_export_day(store, warehouse, contract, day)
                context.add_asset_metadata(_day_metadata(load), partition_key=day.isoformat())
                loads.append(load)
            checks = list(_checks(warehouse, contract, loads, key))
        # One line per step, not per day: a log line is an event record, and a 90-day range wrote 360 of them.
        context.log.info(_load_summary(contract, loads))
        yield MaterializeResult(metadata=_table_metadata(contract))
        yield from checks

    return raw_table


def _contract_json(contract: TableContract) -> str:
    return json.dumps(
        {
            "primary_key": list(contract.primary_key),
            "version_field": contract.version_field,
            "fields": {f.name: f.type + ("" if f.required else "?") for f in contract.fields},
        }
    )
