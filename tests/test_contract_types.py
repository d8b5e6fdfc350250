"""Contract types, scalar and nested, and their spelling for DuckDB (executed), Snowflake, BigQuery and Spark."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from contracts.schema import Field, TableContract
from contracts.shop import ORDERS, SHOP_TABLES
from contracts.types import (
    BIGQUERY,
    DUCKDB,
    SNOWFLAKE,
    SPARK,
    JsonObject,
    ListOf,
    Scalar,
    Struct,
    bigquery_schema,
    column_types,
    render,
    spark_ddl,
)
from resources.warehouse import snowflake_warehouse
from tests.nested_contracts import AMPLITUDE_EVENTS, GA4_EVENTS

BEYOND_DOUBLE = 2**62 + 1  # not representable as a DOUBLE: survives only if no step goes through one

GA4_LINE = {
    "event_date": "20261103",
    "event_timestamp": 1793779509123456,
    "event_name": "purchase",
    "user_pseudo_id": "1234.5678",
    "event_params": [
        {
            "key": "page_title",
            "value": {"string_value": "Coats", "int_value": None, "float_value": None, "double_value": None},
        },
        {
            "key": "order_ref",
            "value": {"string_value": None, "int_value": BEYOND_DOUBLE, "float_value": None, "double_value": None},
        },
    ],
    "items": [{"item_id": "SKU-1", "price": 68900.0, "quantity": 2}],
}
AMPLITUDE_LINE = {
    "$insert_id": "5f1c2a9e-0001",
    "event_type": "add_to_cart",
    "amplitude_id": BEYOND_DOUBLE,
    "server_upload_time": "2026-11-03 05:05:09.123000",
    "event_properties": {"plan": "pro", "tags": ["a", "b"], "price": 1.5},
    "groups": ["team-7"],
}


def _create_and_load(con: duckdb.DuckDBPyConnection, contract: TableContract, line: dict, tmp_path: Path) -> None:
    """Create the table from the rendered DuckDB types and load one JSON line into it with those types."""
    columns = column_types(contract.fields, DUCKDB)
    ddl = ", ".join(f"{DUCKDB.quote(name)} {column_type}" for name, column_type in columns)
    con.execute(f"CREATE TABLE {contract.source} ({ddl})")
    path = tmp_path / f"{contract.source}.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    spec = "{" + ", ".join(f"'{name}': '{column_type}'" for name, column_type in columns) + "}"
    con.execute(
        f"INSERT INTO {contract.source} SELECT * FROM read_json('{path}', format='newline_delimited', columns={spec})"
    )


def test_scalar_fields_keep_their_string_api():
    field = Field("order_id", "bigint", "Order identifier.")
    assert field.type == "bigint" and field.type is Scalar.BIGINT and f"{field.type}" == "bigint"
    assert field.warehouse_type == "BIGINT" and field.is_scalar
    assert {f.name: f.type + ("" if f.required else "?") for f in ORDERS.fields}["promo_code"] == "varchar?"
    with pytest.raises(ValueError, match="field x: unknown logical type 'int64'"):
        Field("x", "int64", "")


def test_allowed_values_and_minimums_belong_to_scalars_and_keys_must_be_scalar():
    with pytest.raises(ValueError, match="apply to scalars"):
        Field("tags", ListOf("varchar"), "", allowed=("a",))
    with pytest.raises(ValueError, match="must be a required scalar"):
        TableContract("s", "t", "", (Field("props", JsonObject(), ""),), primary_key=("props",), version_field="props")
    with pytest.raises(ValueError, match="repeat a name"):
        Struct((Field("a", "bigint", ""), Field("a", "varchar", "")))


def test_duckdb_creates_a_ga4_shaped_table_and_loads_a_nested_line_exactly(tmp_path):
    con = duckdb.connect()
    _create_and_load(con, GA4_EVENTS, GA4_LINE, tmp_path)
    types = dict(
        con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ga4'").fetchall()
    )
    assert types["event_params"] == (
        'STRUCT("key" VARCHAR, "value" STRUCT(string_value VARCHAR, int_value BIGINT, float_value DOUBLE, '
        "double_value DOUBLE))[]"
    )
    row = con.execute(
        """SELECT event_params[1].value.string_value, event_params[2].value.int_value, items[1].quantity,
                  [p.key FOR p IN event_params]
           FROM ga4"""
    ).fetchone()
    assert row == ("Coats", BEYOND_DOUBLE, 2, ["page_title", "order_ref"])


def test_duckdb_keeps_a_free_form_json_object_and_a_dollar_named_column(tmp_path):
    con = duckdb.connect()
    _create_and_load(con, AMPLITUDE_EVENTS, AMPLITUDE_LINE, tmp_path)
    row = con.execute(
        """SELECT "$insert_id", amplitude_id, event_properties->>'$.plan',
                  json_extract(event_properties, '$.tags[1]')::VARCHAR, groups
           FROM amplitude"""
    ).fetchone()
    assert row == ("5f1c2a9e-0001", BEYOND_DOUBLE, "pro", '"b"', ["team-7"])


def test_snowflake_types_of_nested_contracts():
    assert column_types(GA4_EVENTS.fields, SNOWFLAKE) == [
        ("event_date", "VARCHAR"),
        ("event_timestamp", "NUMBER(38,0)"),
        ("event_name", "VARCHAR"),
        ("user_pseudo_id", "VARCHAR"),
        ("event_params", "ARRAY"),
        ("items", "ARRAY"),
    ]
    assert column_types(AMPLITUDE_EVENTS.fields, SNOWFLAKE) == [
        ("$insert_id", "VARCHAR"),
        ("event_type", "VARCHAR"),
        ("amplitude_id", "NUMBER(38,0)"),
        ("server_upload_time", "VARCHAR"),
        ("event_properties", "VARIANT"),
        ("groups", "ARRAY"),
    ]
    assert render(Struct((Field("a", "bigint", ""),)), SNOWFLAKE) == "OBJECT"


def test_snowflake_scalar_types_equal_the_snowflake_warehouse_s():
    for contract in SHOP_TABLES:
        for field in contract.fields:
            assert render(field.type, SNOWFLAKE) == snowflake_warehouse.snowflake_type(field.warehouse_type)


def test_bigquery_spells_ga4_event_params_as_a_repeated_record():
    [params] = [f for f in GA4_EVENTS.fields if f.name == "event_params"]
    assert render(params.type, BIGQUERY) == (
        "ARRAY<STRUCT<`key` STRING, `value` STRUCT<`string_value` STRING, `int_value` INT64, "
        "`float_value` FLOAT64, `double_value` FLOAT64>>>"
    )
    schema = {f["name"]: f for f in bigquery_schema(GA4_EVENTS.fields)}
    assert (schema["event_params"]["type"], schema["event_params"]["mode"]) == ("RECORD", "REPEATED")
    [key, value] = schema["event_params"]["fields"]
    assert (key["name"], key["type"], value["type"], value["mode"]) == ("key", "STRING", "RECORD", "NULLABLE")
    assert [(m["name"], m["type"]) for m in value["fields"]] == [
        ("string_value", "STRING"),
        ("int_value", "INT64"),
        ("float_value", "FLOAT64"),
        ("double_value", "FLOAT64"),
    ]
    assert schema["event_timestamp"] == {
        "name": "event_timestamp",
        "mode": "NULLABLE",
        "description": GA4_EVENTS.field("event_timestamp").description,
        "type": "INT64",
    }


def test_bigquery_refuses_what_it_cannot_hold():
    with pytest.raises(ValueError, match="'\\$insert_id' is not a BigQuery column name"):
        bigquery_schema(AMPLITUDE_EVENTS.fields)
    with pytest.raises(ValueError, match="no list of lists"):
        render(ListOf(ListOf("bigint")), BIGQUERY)
    assert render(JsonObject(), BIGQUERY) == "JSON"


def test_spark_ddl_of_a_nested_contract():
    assert spark_ddl(AMPLITUDE_EVENTS.fields) == (
        "`$insert_id` STRING, `event_type` STRING, `amplitude_id` BIGINT, `server_upload_time` STRING, "
        "`event_properties` STRING, `groups` ARRAY<STRING>"
    )
    [items] = [f for f in GA4_EVENTS.fields if f.name == "items"]
    assert render(items.type, SPARK) == "ARRAY<STRUCT<`item_id`: STRING, `price`: DOUBLE, `quantity`: BIGINT>>"
