"""What real exports contain besides clean records: malformed lines, duplicate lines and late parts.

Every fault is drawn from a random stream named by (seed, day, table), so a given seed always breaks the
same lines the same way, and every malformed line breaks one named contract rule, which the loader's
quarantine reasons can be checked against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from contracts.schema import TableContract

MALFORMED_KINDS = ("invalid_json", "missing_required", "wrong_type", "not_allowed", "below_min")
LINE_KINDS = ("valid", "duplicate", *MALFORMED_KINDS)
VALID, DUPLICATE = 0, 1
_NON_TEXT_TYPES = ("bigint", "integer", "double", "boolean")
_NOT_ALLOWED = {"status": "shipped", "channel": "kiosk", "signup_channel": "store", "gender": "X"}
_MAX_DUPLICATE_DISTANCE = 100  # a re-sent line lands up to this many lines after the original


@dataclass(frozen=True)
class FaultConfig:
    malformed_rate: float = 0.002
    """Share of lines replaced by a malformed version of their record."""
    duplicate_rate: float = 0.01
    """Share of valid lines delivered twice in the same file."""
    late_day: date | Literal["auto"] | None = "auto"
    """Day whose late part is delivered later; "auto" = the second generated day if there are >= 4 days."""
    late_share: float = 0.03
    """Share of the late day's orders (with their items) held back for the late part."""
    late_lag_days: int = 2
    """The late part is written after the files of late_day + lag (or of the last day, if sooner)."""

    def __post_init__(self) -> None:
        for name in ("malformed_rate", "duplicate_rate", "late_share"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.late_lag_days < 1:
            raise ValueError("late_lag_days must be at least 1")

    def late_day_for(self, start: date, days: int) -> date | None:
        """The late day inside [start, start + days), if any."""
        if self.late_day == "auto":
            return start + timedelta(days=1) if days >= 4 else None
        if self.late_day is not None and start <= self.late_day < start + timedelta(days=days):
            return self.late_day
        return None


@dataclass(frozen=True)
class FaultedLines:
    lines: list[str]
    kinds: np.ndarray
    """Per line, an index into LINE_KINDS."""


def fault_fields(contract: TableContract) -> dict[str, tuple[str, ...]]:
    """Per malformed kind, the fields it can break in this table (kinds with no such field are left out)."""
    candidates = {
        "invalid_json": ("",),
        "missing_required": tuple(f.name for f in contract.fields if f.required),
        "wrong_type": tuple(
            f.name for f in contract.fields if f.type in _NON_TEXT_TYPES and f.name not in contract.primary_key
        ),
        "not_allowed": tuple(f.name for f in contract.fields if f.allowed),
        "below_min": tuple(f.name for f in contract.fields if f.min_value is not None),
    }
    return {kind: names for kind, names in candidates.items() if names}


def _below_min(value: object, minimum: int, rng: np.random.Generator) -> int:
    if minimum == 0 and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return -value  # a sign error: the usual way an amount turns negative
    return minimum - 1 - int(rng.integers(0, 10))


def malform(line: str, contract: TableContract, kind: str, field: str, rng: np.random.Generator) -> str:
    """A broken version of a valid line that violates exactly the rule `kind` names, on `field`."""
    if kind == "invalid_json":
        return line[: int(rng.integers(1, len(line) - 1))]  # a cut object is never valid JSON
    record = json.loads(line)
    if kind == "missing_required":
        del record[field]
    elif kind == "wrong_type":
        record[field] = "abc"
    elif kind == "not_allowed":
        record[field] = _NOT_ALLOWED.get(field, "unknown")
        assert record[field] not in (contract.field(field).allowed or ())
    elif kind == "below_min":
        record[field] = _below_min(record[field], contract.field(field).min_value, rng)
    else:
        raise ValueError(f"unknown malformed kind {kind!r}")
    return json.dumps(record, separators=(",", ":"))


def apply_line_faults(
    lines: list[str],
    contract: TableContract,
    rng: np.random.Generator,
    malformed_rate: float,
    duplicate_rate: float,
) -> FaultedLines:
    """Replace a share of lines by malformed ones, then deliver a share of the valid ones twice."""
    n = len(lines)
    out = list(lines)
    kinds = np.zeros(n, dtype=np.int8)
    candidates = fault_fields(contract)
    kind_names = list(candidates)
    for i in np.flatnonzero(rng.random(n) < malformed_rate):
        kind = kind_names[int(rng.integers(len(kind_names)))]
        fields = candidates[kind]
        out[i] = malform(lines[i], contract, kind, fields[int(rng.integers(len(fields)))], rng)
        kinds[i] = LINE_KINDS.index(kind)
    repeated = np.flatnonzero((rng.random(n) < duplicate_rate) & (kinds == VALID))
    if not len(repeated):
        return FaultedLines(out, kinds)
    distance = rng.integers(1, _MAX_DUPLICATE_DISTANCE + 1, size=len(repeated))
    position = np.concatenate([np.arange(n) + 0.0, np.minimum(repeated + distance, n) - 0.5])
    order = np.argsort(position, kind="stable")
    everything = np.array(out + [out[i] for i in repeated], dtype=object)
    all_kinds = np.concatenate([kinds, np.full(len(repeated), DUPLICATE, dtype=np.int8)])
    return FaultedLines(everything[order].tolist(), all_kinds[order])


def choose_late_keys(rng: np.random.Generator, keys: np.ndarray, share: float) -> np.ndarray:
    """A share of the distinct keys (e.g. order ids) whose rows a late part will carry instead."""
    distinct = np.unique(keys)
    return distinct[rng.random(len(distinct)) < share]
