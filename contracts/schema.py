"""The building blocks of a raw-source contract.

A contract says which fields a raw record has, their logical types, which may be missing, the key that
identifies a record and the field that orders its versions. The generator writes from it, the loader
validates against it (every quarantine reason names the contract rule it broke) and docs/ is checked
against it, so the three cannot drift apart. A field's type is a scalar or a nested one (struct, list,
JSON object): see contracts/types.py, which also spells every type for each warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.types import DUCKDB, DataType, Scalar, as_data_type, render

# Longest raw line a loader accepts; a longer line is quarantined, never its file.
MAX_LINE_BYTES = 16 * 1024 * 1024

# Scalar logical type -> DuckDB column type. Timestamps are absolute instants written in ISO-8601 with an
# offset; the warehouse keeps them as TIMESTAMPTZ.
WAREHOUSE_TYPES: dict[str, str] = {scalar.value: name for scalar, name in DUCKDB.scalars.items()}


@dataclass(frozen=True)
class Field:
    """One named value of a record: a top-level column, or a member of a `Struct`.

    `type` takes a scalar's name ("bigint") or a nested type (`ListOf(Struct(...))`); it always reads back
    as a `DataType`, and a scalar compares equal to its name. `allowed` and `min_value` apply to scalars.
    """

    name: str
    type: DataType | str
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    min_value: int | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "type", as_data_type(self.type))
        except ValueError as error:
            raise ValueError(f"field {self.name}: {error}") from None
        if not isinstance(self.type, Scalar) and (self.allowed is not None or self.min_value is not None):
            raise ValueError(f"field {self.name}: allowed values and a minimum apply to scalars, not {self.type}")

    @property
    def warehouse_type(self) -> str:
        """The DuckDB column type, e.g. BIGINT or `STRUCT("key" VARCHAR, ...)[]`."""
        return render(self.type, DUCKDB)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.type, Scalar)


@dataclass(frozen=True)
class TableContract:
    """One exported table of a source system."""

    source: str
    name: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    version_field: str
    """Among records with the same primary key, the one with the greatest value of this field wins."""
    keeps_versions: bool = False
    """Every distinct version is kept: rows are unique per primary key + version field; exact duplicates are
    still dropped."""

    def __post_init__(self) -> None:
        names = self.field_names
        for column in (*self.primary_key, self.version_field):
            if column not in names:
                raise ValueError(f"{self.name}: key or version field {column!r} is not a field")
            if not self.field(column).required or not self.field(column).is_scalar:
                raise ValueError(f"{self.name}: key or version field {column!r} must be a required scalar")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")
