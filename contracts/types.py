"""The types a contract field can have, and their spelling in each engine, from one place.

A field's type is a `Scalar` (bigint, integer, double, varchar, boolean, timestamptz, date), a `Struct` of
named fields (each a `contracts.schema.Field`: its own type, required flag and description), a `ListOf` any
type, or a `JsonObject` (a free-form JSON object, kept as semi-structured data: Amplitude's
`event_properties`). GA4's `event_params` is `ListOf(Struct(key, value: Struct(string_value, ...)))`.

`render(data_type, dialect)` spells a type for DuckDB, Snowflake, BigQuery or Spark. A `Dialect` is a table
of scalar names plus how the engine writes a struct, a list and a JSON value, so a new engine is one more
`Dialect`. Rendered types carry no nullability: `required` is a validation rule (a missing value is
quarantined), never a column constraint that would fail a whole load on one bad line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.schema import Field


class Scalar(StrEnum):
    """A scalar logical type; equal to its name (`Scalar.BIGINT == "bigint"`)."""

    BIGINT = "bigint"
    INTEGER = "integer"
    DOUBLE = "double"
    VARCHAR = "varchar"
    BOOLEAN = "boolean"
    TIMESTAMPTZ = "timestamptz"  # an instant, written in ISO-8601 with its UTC offset
    DATE = "date"


@dataclass(frozen=True)
class Struct:
    """A record of named fields, in the order the source writes them."""

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names:
            raise ValueError("a struct needs at least one field")
        if len(set(names)) != len(names):
            raise ValueError(f"struct fields {names} repeat a name")

    def __str__(self) -> str:
        return "struct"


@dataclass(frozen=True)
class ListOf:
    """A JSON array whose elements all have one type."""

    element: DataType

    def __str__(self) -> str:
        return f"list<{self.element}>"


@dataclass(frozen=True)
class JsonObject:
    """A free-form JSON object: keys and value types vary from record to record."""

    def __str__(self) -> str:
        return "json object"


DataType = Scalar | Struct | ListOf | JsonObject


def as_data_type(value: DataType | str) -> DataType:
    """A scalar's name ("bigint") as its `Scalar`; any other type unchanged."""
    if isinstance(value, Scalar | Struct | ListOf | JsonObject):
        return value
    try:
        return Scalar(value)
    except ValueError:
        raise ValueError(f"unknown logical type {value!r}") from None


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the contract types."""

    name: str
    scalars: Mapping[Scalar, str]
    json: str
    struct: Callable[[Sequence[tuple[str, str]]], str]  # [(quoted member name, member type)] -> struct type
    list_of: Callable[[str], str]  # element type -> list type
    quote: Callable[[str], str]  # a member name as the engine's identifier
    lists_of_lists: bool = True


def render(data_type: DataType | str, dialect: Dialect) -> str:
    """`data_type` as a column type of `dialect`, e.g. DuckDB's `STRUCT("key" VARCHAR)[]`."""
    data_type = as_data_type(data_type)
    if isinstance(data_type, Scalar):
        return dialect.scalars[data_type]
    if isinstance(data_type, JsonObject):
        return dialect.json
    if isinstance(data_type, ListOf):
        if isinstance(data_type.element, ListOf) and not dialect.lists_of_lists:
            raise ValueError(f"{dialect.name} has no list of lists ({data_type})")
        return dialect.list_of(render(data_type.element, dialect))
    return dialect.struct([(dialect.quote(f.name), render(f.type, dialect)) for f in data_type.fields])


def column_types(fields: Sequence[Field], dialect: Dialect) -> list[tuple[str, str]]:
    """(field name, column type) for each top-level field of a table."""
    return [(f.name, render(f.type, dialect)) for f in fields]


def _double_quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _backquoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


_BIGQUERY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,299}")


def _bigquery_name(name: str) -> str:
    """BigQuery column names are letters, digits and underscores: a `$insert_id` must be renamed upstream."""
    if not _BIGQUERY_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a BigQuery column name (letters, digits, underscores)")
    return name


DUCKDB = Dialect(
    name="DuckDB",
    scalars={
        Scalar.BIGINT: "BIGINT",
        Scalar.INTEGER: "INTEGER",
        Scalar.DOUBLE: "DOUBLE",
        Scalar.VARCHAR: "VARCHAR",
        Scalar.BOOLEAN: "BOOLEAN",
        Scalar.TIMESTAMPTZ: "TIMESTAMPTZ",
        Scalar.DATE: "DATE",
    },
    json="JSON",
    struct=lambda members: "STRUCT(" + ", ".join(f"{n} {t}" for n, t in members) + ")",
    list_of=lambda element: f"{element}[]",
    quote=_double_quoted,
)

# Snowflake's INTEGER and BIGINT are both NUMBER(38,0); a 32-bit integer is declared NUMBER(10,0) (it holds
# every int32) so that the logical type survives the round trip through information_schema. Nested values
# are semi-structured (OBJECT, ARRAY, VARIANT): their members are checked by validation, not by the column.
SNOWFLAKE = Dialect(
    name="Snowflake",
    scalars={
        Scalar.BIGINT: "NUMBER(38,0)",
        Scalar.INTEGER: "NUMBER(10,0)",
        Scalar.DOUBLE: "FLOAT",
        Scalar.VARCHAR: "VARCHAR",
        Scalar.BOOLEAN: "BOOLEAN",
        Scalar.TIMESTAMPTZ: "TIMESTAMP_TZ",
        Scalar.DATE: "DATE",
    },
    json="VARIANT",
    struct=lambda members: "OBJECT",
    list_of=lambda element: "ARRAY",
    quote=_double_quoted,
)

BIGQUERY = Dialect(
    name="BigQuery",
    scalars={
        Scalar.BIGINT: "INT64",
        Scalar.INTEGER: "INT64",
        Scalar.DOUBLE: "FLOAT64",
        Scalar.VARCHAR: "STRING",
        Scalar.BOOLEAN: "BOOL",
        Scalar.TIMESTAMPTZ: "TIMESTAMP",
        Scalar.DATE: "DATE",
    },
    json="JSON",
    struct=lambda members: "STRUCT<" + ", ".join(f"{n} {t}" for n, t in members) + ">",
    list_of=lambda element: f"ARRAY<{element}>",
    quote=lambda name: f"`{_bigquery_name(name)}`",  # quoted: `range` or `hash` are reserved words
    lists_of_lists=False,
)

# Spark DDL, as `StructType.fromDDL` reads it. A JSON object is read as its JSON text (Spark's JSON reader
# keeps a nested object given a STRING schema as its raw text; parse it with from_json or parse_json).
SPARK = Dialect(
    name="Spark",
    scalars={
        Scalar.BIGINT: "BIGINT",
        Scalar.INTEGER: "INT",
        Scalar.DOUBLE: "DOUBLE",
        Scalar.VARCHAR: "STRING",
        Scalar.BOOLEAN: "BOOLEAN",
        Scalar.TIMESTAMPTZ: "TIMESTAMP",
        Scalar.DATE: "DATE",
    },
    json="STRING",
    struct=lambda members: "STRUCT<" + ", ".join(f"{n}: {t}" for n, t in members) + ">",
    list_of=lambda element: f"ARRAY<{element}>",
    quote=_backquoted,
)


def spark_ddl(fields: Sequence[Field]) -> str:
    """A table's schema as one Spark DDL string, e.g. "`event_name` STRING, `event_params` ARRAY<...>"."""
    return ", ".join(f"{_backquoted(name)} {t}" for name, t in column_types(fields, SPARK))


def bigquery_schema(fields: Sequence[Field]) -> list[dict[str, Any]]:
    """A table's schema in BigQuery's JSON form (`bq mk --schema`, `SchemaField.from_api_repr`): a list of
    structs is a REPEATED RECORD, as in the GA4 export; every other column is NULLABLE."""
    return [_bigquery_field(f.name, f.type, f.description) for f in fields]


def _bigquery_field(name: str, data_type: DataType, description: str) -> dict[str, Any]:
    mode = "NULLABLE"
    if isinstance(data_type, ListOf):
        mode, data_type = "REPEATED", data_type.element
        if isinstance(data_type, ListOf):
            raise ValueError(f"BigQuery has no list of lists ({name})")
    field: dict[str, Any] = {"name": _bigquery_name(name), "mode": mode, "description": description}
    if isinstance(data_type, Struct):
        field["type"] = "RECORD"
        field["fields"] = [_bigquery_field(f.name, f.type, f.description) for f in data_type.fields]
    else:
        field["type"] = render(data_type, BIGQUERY)
    return field
