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
integers above 2^53. A timestamptz alone is extracted as the string's text (VARCHAR): the fast path needs
the cast and a UTC offset at its end, which no JSON value but a string has; the slow path asks the line its
JSON type. Reading integers exactly is what validation costs beyond the earlier lax reading: 1M order_items
lines (5 integer fields), validating statement on one thread, 0.91 s with a (lax) BIGINT transform, 1.07 s
from their text (medians of 7, 2026-12-06; VARIANT, the one-parse alternative, took 4.2 s).
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


def extracted_as(f: Field) -> str:
    """The type json_transform extracts the field as: its JSON text, but a timestamptz's string as VARCHAR."""
    return "VARCHAR" if f.type == "timestamptz" else "JSON"


def _has_fraction_or_exponent(text: str) -> str:
    """SQL: whether a JSON number's text is not an integer literal. The text comes from DuckDB's JSON writer,
    which spells every non-integer number with '.' or a lower-case 'e' ('1000.0', '4.6e+18'); an upper-case
    'E' survives only in a number too large to parse ('1E400'), which no integer cast accepts anyway."""
    return f"(contains({text}, '.') OR contains({text}, 'e'))"


def _text(extracted: str) -> str:
    return f"CAST({extracted} AS VARCHAR)"


def typed_value(f: Field, json_value: str) -> str:
    """SQL: the field's value in its warehouse type from `json_value` (as `extracted_as`), NULL when it breaks
    the type rule (or is JSON null). A timestamptz cast from a non-string's text is caught by `type_rules`."""
    text = _text(json_value)
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
    if f.type == "timestamptz":
        return f"TRY_CAST({json_value} AS TIMESTAMPTZ)"  # the string's text, unescaped
    if f.type in STRING_TYPES:
        return f"TRY_CAST({json_value} AS {f.warehouse_type})"  # DuckDB's JSON cast: from a JSON string only
    raise ValueError(f"field {f.name}: no JSON reading for type {f.type}")


def shortest_spelling(f: Field, extracted: str) -> str:
    """SQL: a lower bound of the bytes the line spends on the field's value, from its extracted text (`extracted_as`;
    NULL when absent or null). DuckDB writes a JSON text back no longer than it was spelt, but for a number that
    it spells with '.' or 'e' (`1e3` -> `1000.0`): such a value counts 1 byte, as does any value whose text may
    be such a number. A string's text keeps its quotes; a timestamptz's VARCHAR text lost them (and only a
    string's text casts to a timestamp)."""
    text = _text(extracted)  # spelt as in `typed_value`, so that DuckDB evaluates their common parts once
    if f.type in INTEGER_RANGES:
        return f"CASE WHEN {_has_fraction_or_exponent(text)} THEN 1 ELSE strlen({text}) END"
    if f.type == "boolean":
        return f"CASE WHEN {text} IN ('true', 'false') THEN strlen({text}) ELSE 1 END"
    if f.type == "timestamptz":
        return f"CASE WHEN {typed_value(f, extracted)} IS NOT NULL THEN strlen({text}) + 2 ELSE 1 END"
    if f.type in STRING_TYPES:
        return f"CASE WHEN starts_with({text}, '\"') THEN strlen({text}) ELSE 1 END"
    return "1"


def format_is_certainly_valid(f: Field, extracted: str) -> str | None:
    """SQL over the extracted value (`extracted_as`): TRUE only when a value that has its type also has its
    format (a timestamp's UTC offset) and is of its JSON type; None if no rule. `Z`, `+hh:mm` or `-hh:mm` at
    the end of a text that casts to a timestamp: DuckDB's cast takes only digits there and no JSON number,
    boolean, array or object has such a text. A `+hhmm` offset is valid too, proven by `type_rules`."""
    if f.type == "timestamptz":
        return f"(suffix({extracted}, 'Z') OR {extracted} LIKE '%+__:__' OR {extracted} LIKE '%-__:__')"
    return None


def _has_utc_offset(json_text: str) -> str:
    return f"regexp_matches(CAST({json_text} AS VARCHAR), {_UTC_OFFSET_AT_END})"


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
        not_a_string = f"{json_type} <> 'VARCHAR' OR {typed} IS NULL"
        return [
            (not_a_string, wrong_type[1]),
            (f"NOT {_has_utc_offset(got)}", f"{label}: timestamp has no UTC offset: "),
        ]
    return [wrong_type]
