"""How each contract scalar is read from a JSON value in DuckDB: exactly, and only from its own JSON type.

The rules (docs/shop_exports.md states them for users):

- bigint, integer: a JSON number whose value is whole. An integer literal (`-12`, `4611686018427387905`)
  loads exactly over the column's whole range (bigint -2^63..2^63-1, integer -2^31..2^31-1); outside it,
  "out of range". A number written with a fraction or an exponent (`2.0`, `1e3`) is read as a double, as
  JSON parsers and JSON Schema validators do, and counts as an integer when that double is whole and below
  2^53 in magnitude (where every integer is exact); `2.5` is "not a whole number", and a larger one
  (`9007199254740993.0` reads as ...992) is quarantined rather than loaded rounded.
- double: a finite JSON number.
- boolean: JSON `true` or `false`.
- varchar, timestamptz, date: a JSON string; timestamptz must parse as ISO-8601 and end with a UTC offset.
- Anything else is the wrong type: `"68900"` (a string) for a bigint, `"true"` or `1` for a boolean, `5`
  for a varchar, an array or object for any scalar.

`json_transform` extracts every scalar as its JSON text (type JSON) and the casts below read that text:
DuckDB's own JSON-to-number casts are lax (`"68900"` -> 68900, `1.5` -> 2, `true` -> 1) and a DOUBLE rounds
integers above 2^53. The text costs CPU: 1M order_items lines (5 integer fields), validating statement on one
thread, 0.93 s with integers read as DOUBLE, 1.21 s from their text (medians of 3; VARIANT, the one-parse
alternative, took 4.2 s).
"""

from __future__ import annotations

from contracts.schema import Field

# Integer types: (smallest, largest) value of the warehouse column.
INTEGER_RANGES = {"bigint": (-(2**63), 2**63 - 1), "integer": (-(2**31), 2**31 - 1)}
# Below this magnitude every integer is exactly a DOUBLE; from it on, a decimal literal may have been rounded.
EXACT_DOUBLE_LIMIT = 2**53
STRING_TYPES = ("varchar", "timestamptz", "date")
JSON_NUMBER_TYPES = "('BIGINT', 'UBIGINT', 'DOUBLE')"
_UTC_OFFSET_AT_END = "'(Z|[+-]\\d{2}:?\\d{2})\"$'"  # on the JSON text, so before the closing quote


def _has_fraction_or_exponent(text: str) -> str:
    """SQL: whether a JSON number's text is not an integer literal. The text comes from DuckDB's JSON writer,
    which spells every non-integer number with '.' or a lower-case 'e' ('1000.0', '4.6e+18'); an upper-case
    'E' survives only in a number too large to parse ('1E400'), which no integer cast accepts anyway."""
    return f"(contains({text}, '.') OR contains({text}, 'e'))"


def typed_value(f: Field, json_value: str) -> str:
    """SQL: the field's value in its warehouse type from `json_value` (its JSON text), NULL when it breaks the
    type rule (or is JSON null)."""
    text = f"CAST({json_value} AS VARCHAR)"
    if f.type in INTEGER_RANGES:
        number = f"TRY_CAST({text} AS DOUBLE)"
        whole_and_exact = f"{number} = trunc({number}) AND abs({number}) < {EXACT_DOUBLE_LIMIT}"
        return (
            f"CASE WHEN {_has_fraction_or_exponent(text)} "
            f"THEN CASE WHEN {whole_and_exact} THEN TRY_CAST({number} AS {f.warehouse_type}) END "
            f"ELSE TRY_CAST({text} AS {f.warehouse_type}) END"
        )
    if f.type == "double":
        return f"CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END"
    if f.type == "boolean":
        return f"CASE {text} WHEN 'true' THEN true WHEN 'false' THEN false END"
    if f.type == "varchar":
        return f"CASE WHEN starts_with({text}, '\"') THEN {json_value} ->> '$' END"
    if f.type in STRING_TYPES:
        return f"TRY_CAST({json_value} AS {f.warehouse_type})"  # DuckDB's JSON cast: from a JSON string only
    raise ValueError(f"field {f.name}: no JSON reading for type {f.type}")


def format_is_valid(f: Field, json_value: str) -> str | None:
    """SQL: TRUE when a value that has its type also has its format (a timestamp's UTC offset); None if no rule."""
    if f.type == "timestamptz":
        return f"regexp_matches(CAST({json_value} AS VARCHAR), {_UTC_OFFSET_AT_END})"
    return None


def type_rules(f: Field, label: str, typed: str, json_type: str, got: str) -> list[tuple[str, str]]:
    """Why a present value fails its type rule: (SQL condition, reason) pairs, the first true one applies.

    `typed` is the value as `typed_value` read it, `json_type` and `got` its JSON type and JSON text; each
    reason starts with `label` ("orders.order_id") and is followed by the JSON text in the quarantine.
    """
    wrong_type = (f"{typed} IS NULL", f"{label}: expected {f.type}, got ")
    if f.type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[f.type]
        number = f"TRY_CAST({got} AS DOUBLE)"
        literal = f"NOT {_has_fraction_or_exponent(got)}"  # an integer literal that no integer cast took
        out_of_range = f"{literal} OR {number} < {low}::DOUBLE OR {number} >= {high + 1}::DOUBLE"
        return [
            (f"{typed} IS NULL AND {json_type} NOT IN {JSON_NUMBER_TYPES}", wrong_type[1]),
            (f"{typed} IS NULL AND {number} <> trunc({number})", f"{label}: {f.type} must be a whole number, got "),
            (f"{typed} IS NULL AND ({out_of_range})", f"{label}: {f.type} out of range {low}..{high}, got "),
            (
                f"{typed} IS NULL",
                f"{label}: {f.type} written with a fraction or exponent must be below 2^53 to be exact, got ",
            ),
        ]
    if f.type == "double":
        not_finite = (f"{typed} IS NULL AND {json_type} IN {JSON_NUMBER_TYPES}", f"{label}: double out of range, got ")
        return [not_finite, wrong_type]
    if f.type == "timestamptz":
        return [wrong_type, (f"NOT {format_is_valid(f, got)}", f"{label}: timestamp has no UTC offset: ")]
    return [wrong_type]
