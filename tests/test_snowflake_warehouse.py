"""`SnowflakeWarehouse` against a fakesnow server: the same results as `DuckDBWarehouse` for the same files,
idempotent day replacement in one transaction, `?`-bound queries, logical column types, and clear failures
(unreadable file, stopped endpoint) that leave Snowflake untouched."""

from __future__ import annotations

import gzip
import time
from datetime import date
from pathlib import Path

import pytest

from contracts.shop import ORDER_ITEMS, ORDERS, export_file_key
from devtools.fakesnow_server import FAKE_SNOWFLAKE_CREDENTIALS, fakesnow_server
from resources.warehouse import snowflake_staging as staging
from resources.warehouse import snowflake_warehouse as sw
from resources.warehouse import validation_sql as rv
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from resources.warehouse.interface import EXPORT_DATE, QUARANTINE_COLUMNS, RawFile, RawPartition, UnreadableExportFile
from resources.warehouse.snowflake_warehouse import SnowflakeUnreachableError, SnowflakeWarehouse
from tests.shop_records import jsonl_gz, order
from tests.table_rows import comparable

pytestmark = pytest.mark.emulator

DATABASE = "CUMULUS"
SECRET = "not-a-real-password-7f3a"
DAY, NEXT_DAY = date(2026, 11, 3), date(2026, 11, 4)


def export_day(day: date) -> RawPartition:
    return RawPartition(day.isoformat(), EXPORT_DATE, day)


def export(tmp: Path, day: date, part: int, *lines: str) -> RawFile:
    key = export_file_key("orders", day.isoformat(), part)
    path = tmp / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jsonl_gz(*lines))
    return RawFile(key=key, etag=f"etag-{part}", path=path)


def new_warehouse(endpoint: dict, **overrides) -> SnowflakeWarehouse:
    fields = {**FAKE_SNOWFLAKE_CREDENTIALS, "password": SECRET, "database": DATABASE, **endpoint, **overrides}
    return SnowflakeWarehouse(**{"login_timeout": 5, "network_timeout": 5, **fields})


@pytest.fixture(scope="module")
def server():
    with fakesnow_server() as srv:
        srv.create_database(DATABASE)
        yield srv


@pytest.fixture(scope="module")
def warehouse(server) -> SnowflakeWarehouse:
    return new_warehouse(server.endpoint)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[date, list[RawFile]]:
    tmp = tmp_path_factory.mktemp("exports")
    first = [
        export(
            tmp,
            DAY,
            0,
            order(),
            '{"order_id": 2',  # malformed
            order(order_id=3, status="shipped"),
            order(),  # exact duplicate of line 1
            order(order_id=5),
            order(order_id=6, coupon="WELCOME"),  # a field the contract does not know
        ),
        # a second file: the later version of order 5 wins, wherever it is
        export(tmp, DAY, 1, order(order_id=5, status="cancelled", updated_at="2026-11-03T12:30:00+09:00")),
    ]
    second = [export(tmp, NEXT_DAY, 0, order(order_id=7, placed_at="2026-11-04T09:00:00+09:00"), "not json")]
    return {DAY: first, NEXT_DAY: second}


@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory) -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(tmp_path_factory.mktemp("duck") / "warehouse.duckdb"))


def day_rows(wh, day: date) -> list[dict]:
    return comparable(wh.query("SELECT * FROM raw.orders WHERE _export_date = ? ORDER BY order_id", [day]))


def day_quarantine(wh, day: date) -> list[dict]:
    return comparable(
        wh.query(
            "SELECT * FROM raw.quarantine WHERE source_table = ? AND partition_key = ? "
            "ORDER BY source_key, line_number",
            ["orders", day.isoformat()],
        )
    )


def test_a_day_loads_exactly_as_in_duckdb(warehouse, duckdb_warehouse, files):
    result = warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY])
    local = duckdb_warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY])
    assert result == local
    assert (result.lines_read, result.rows_loaded, result.quarantined, result.duplicates_dropped) == (7, 3, 2, 2)
    assert result.quarantine_reasons == {
        "not valid JSON": 1,
        'orders.status: not one of paid|cancelled|refunded, got "shipped"': 1,
    }
    assert result.unknown_fields == ("coupon",)

    rows = day_rows(warehouse, DAY)
    assert rows == day_rows(duckdb_warehouse, DAY)
    assert {r["order_id"]: r["status"] for r in rows} == {1: "paid", 5: "cancelled", 6: "paid"}
    assert rows[0]["placed_at"] == "2026-11-03T01:00:00+00:00"  # the instant, kept as TIMESTAMP_TZ
    assert day_quarantine(warehouse, DAY) == day_quarantine(duckdb_warehouse, DAY)
    assert [q["line_number"] for q in day_quarantine(warehouse, DAY)] == [2, 3]


def test_re_running_a_day_gives_identical_rows(warehouse, files):
    before = (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY))
    again = warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY])
    assert again.rows_loaded == 3 and again.quarantined == 2
    assert (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY)) == before
    total = warehouse.query("SELECT count(*) AS n, count(DISTINCT order_id) AS ids FROM raw.orders").iloc[0]
    assert int(total["n"]) == int(total["ids"]) == 3


def test_a_second_day_leaves_the_first_alone(warehouse, duckdb_warehouse, files):
    first = (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY))
    result = warehouse.load_raw_partition(ORDERS, export_day(NEXT_DAY), files[NEXT_DAY])
    assert result == duckdb_warehouse.load_raw_partition(ORDERS, export_day(NEXT_DAY), files[NEXT_DAY])
    assert (result.rows_loaded, result.quarantined) == (1, 1)
    assert (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY)) == first
    assert day_rows(warehouse, NEXT_DAY) == day_rows(duckdb_warehouse, NEXT_DAY)


def test_a_failure_inside_the_transaction_keeps_the_previous_rows(warehouse, files, monkeypatch):
    before = (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY))
    real_copy = staging.copy_into

    def copy_then_fail(cur, table, location, expected_rows):
        real_copy(cur, table, location, expected_rows)
        raise RuntimeError("injected failure after COPY")

    monkeypatch.setattr(sw, "copy_into", copy_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY][:1])  # would drop order 5's later version
    assert (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY)) == before


def test_query_binds_parameters_through_the_connector(warehouse):
    """`?` placeholders go to the connector's qmark binding: a value is never spliced into the SQL text."""
    frame = warehouse.query(
        "SELECT count(*) AS n, '100%' AS pct FROM raw.orders WHERE _export_date = ? AND status = ?",
        [DAY, "paid' OR 'x'='x"],
    )
    assert list(frame.columns) == ["n", "pct"]
    assert frame.iloc[0].tolist() == [0, "100%"]  # the quote in the value stays inside the value
    assert int(warehouse.query("SELECT count(*) AS n FROM raw.orders WHERE status = ?", ["paid"]).iloc[0, 0]) == 3


def test_table_columns_are_lower_case_logical_types(warehouse):
    assert warehouse.table_columns("raw", "orders") == rv.warehouse_columns(ORDERS, EXPORT_DATE)
    assert warehouse.table_columns("raw", "quarantine") == list(QUARANTINE_COLUMNS)
    assert warehouse.table_columns("raw", "no_such_table") == []
    # INTEGER survives the round trip (NUMBER(10,0)), not only BIGINT (NUMBER(38,0))
    assert sw.logical_type("NUMBER", 10, 0) == "INTEGER" and sw.logical_type("NUMBER", 38, 0) == "BIGINT"


def test_an_unreadable_file_is_named_and_snowflake_is_untouched(warehouse, files, tmp_path):
    key = export_file_key("order_items", DAY.isoformat(), 0)
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"order_item_id": 1}\n' * 1000)[:60])
    before = (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY))
    with pytest.raises(UnreadableExportFile, match="part-0000.jsonl.gz") as error:
        warehouse.load_raw_partition(ORDER_ITEMS, export_day(DAY), [RawFile(key, "e", broken)])
    assert error.value.key == key
    assert warehouse.table_columns("raw", "order_items") == []  # not even created
    assert (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY)) == before
    unreadable = RawFile(export_file_key("orders", DAY.isoformat(), 9), "e", broken)
    with pytest.raises(UnreadableExportFile):
        warehouse.load_raw_partition(ORDERS, export_day(DAY), [*files[DAY], unreadable])
    assert (day_rows(warehouse, DAY), day_quarantine(warehouse, DAY)) == before


def test_the_password_stays_out_of_reprs_and_errors(warehouse):
    assert SECRET not in repr(warehouse) and SECRET not in str(warehouse)
    dead = new_warehouse({"host": "127.0.0.1", "port": 9, "protocol": "http"})
    with pytest.raises(SnowflakeUnreachableError) as error:
        dead.query("SELECT 1")
    assert SECRET not in str(error.value) and SECRET not in repr(error.value)


# the connector's query-cancel timer thread reports the dead endpoint from its own thread, too
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_stopped_endpoint_fails_fast_and_clearly_and_keeps_the_committed_rows(files, monkeypatch):
    with fakesnow_server(durable=True) as server:
        server.create_database(DATABASE)
        warehouse = new_warehouse(server.endpoint)
        assert warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY][:1]).rows_loaded == 3
        committed = day_rows(warehouse, DAY)
        real_copy = staging.copy_into

        def stop_then_copy(*args):
            server.stop()  # mid-way: files staged, the day deleted inside the open transaction
            real_copy(*args)

        monkeypatch.setattr(sw, "copy_into", stop_then_copy)
        started = time.monotonic()
        with pytest.raises(SnowflakeUnreachableError, match=f"127.0.0.1:{server.port}"):
            warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY])
        print(f"mid-way failure after {time.monotonic() - started:.1f} s")
        assert time.monotonic() - started < 20
        monkeypatch.undo()
        for call in (
            lambda: warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY]),
            lambda: warehouse.query("SELECT count(*) FROM raw.orders"),
            lambda: warehouse.table_columns("raw", "orders"),
        ):
            started = time.monotonic()
            with pytest.raises(SnowflakeUnreachableError, match=f"127.0.0.1:{server.port}"):
                call()
            print(f"failed after {time.monotonic() - started:.1f} s")
            assert time.monotonic() - started < 15
        # Back on the same port with what it had committed (durable): the interrupted transaction left
        # no trace, and the same resource (no connection kept between calls) loads again.
        server.restart()
        assert day_rows(warehouse, DAY) == committed
        assert warehouse.load_raw_partition(ORDERS, export_day(DAY), files[DAY]).rows_loaded == 3
        assert day_rows(warehouse, DAY) != committed  # order 5's later version, from the second file


def test_a_quarantine_table_keyed_by_export_date_is_converted_to_partition_keys(server, tmp_path):
    """A warehouse loaded before partition keys (RAW.QUARANTINE.EXPORT_DATE DATE) keeps its entries, now
    keyed by the day's ISO text, beside the new load's."""
    server.create_database("OLD_SHOP")
    old = new_warehouse(server.endpoint, database="OLD_SHOP")
    with old.connect() as conn:
        cur = conn.cursor()
        cur.execute("CREATE SCHEMA IF NOT EXISTS RAW")
        cur.execute(
            "CREATE TABLE RAW.QUARANTINE (SOURCE_TABLE VARCHAR, EXPORT_DATE DATE, SOURCE_KEY VARCHAR, "
            "LINE_NUMBER NUMBER(38,0), REASON VARCHAR, RAW_LINE VARCHAR)"
        )
        cur.execute("INSERT INTO RAW.QUARANTINE VALUES ('orders', '2026-11-02', 'k', 1, 'not valid JSON', '{')")
    old.load_raw_partition(ORDERS, export_day(DAY), [export(tmp_path, DAY, 0, order(), "{")])
    assert "partition_key" in dict(old.table_columns("raw", "quarantine"))
    assert "export_date" not in dict(old.table_columns("raw", "quarantine"))
    rows = old.query("SELECT partition_key, line_number FROM raw.quarantine ORDER BY partition_key")
    assert list(zip(rows["partition_key"], rows["line_number"].astype(int), strict=True)) == [
        ("2026-11-02", 1),
        (DAY.isoformat(), 2),
    ]
