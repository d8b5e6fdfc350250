"""The building blocks of a raw-source contract.

A contract says which fields a raw record has, their logical types, which may be missing, the key that
identifies a record and the field that orders its versions. The generator writes from it, the loader
validates against it (every quarantine reason names the contract rule it broke) and docs/ is checked
against it, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical type -> warehouse (DuckDB / Snowflake) column type. Timestamps are absolute instants written
# in ISO-8601 with an offset; the warehouse keeps them as TIMESTAMPTZ.
WAREHOUSE_TYPES: dict[str, str] = {
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamptz": "TIMESTAMPTZ",
    "date": "DATE",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    min_value: int | None = None

    def __post_init__(self) -> None:
        if self.type not in WAREHOUSE_TYPES:
            raise ValueError(f"field {self.name}: unknown logical type {self.type!r}")

    @property
    def warehouse_type(self) -> str:
        return WAREHOUSE_TYPES[self.type]


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

    def __post_init__(self) -> None:
        names = self.field_names
        for column in (*self.primary_key, self.version_field):
            if column not in names:
                raise ValueError(f"{self.name}: key or version field {column!r} is not a field")
            if not self.field(column).required:
                raise ValueError(f"{self.name}: key or version field {column!r} must be required")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")
