"""Which world a lake's exports come from, so that adding days continues it instead of starting another.

A world is a pure function of its seed, first day and sizes (generator/world.py): continued with the same
ones, day E's files are byte-identical to those of one longer generation. Started anew on a later day, it
dumps a different population under the same customer and product ids. The record sits beside the exports,
outside every source's prefix (`_generator/`), so no landing sensor or loader reads it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date

from resources.storage.interface import ObjectStore

WORLD_RECORD_KEY = "_generator/shop_world.json"


@dataclass(frozen=True)
class WorldRecord:
    seed: int
    world_start: date
    orders_per_day: float
    """Sizes the population (WorldConfig.for_volume) as well as the daily orders."""
    initial_customers: int | None
    initial_products: int | None
    generated_through: date
    """The last day generated so far: continuing starts the day after."""

    def same_world(self, other: WorldRecord) -> bool:
        return replace(self, generated_through=other.generated_through) == other

    def describe(self) -> str:
        return (
            f"seed {self.seed}, from {self.world_start}, {self.orders_per_day:g} orders/day, "
            f"generated through {self.generated_through}"
        )


def read_world_record(store: ObjectStore) -> WorldRecord | None:
    """The world the lake's exports come from; None for a lake the generator has not written to."""
    if not any(o.key == WORLD_RECORD_KEY for o in store.list_page(WORLD_RECORD_KEY, page_size=1)):
        return None
    fields = json.loads(store.read_bytes(WORLD_RECORD_KEY))
    return WorldRecord(
        **{
            **fields,
            "world_start": date.fromisoformat(fields["world_start"]),
            "generated_through": date.fromisoformat(fields["generated_through"]),
        }
    )


def record_world(store: ObjectStore, record: WorldRecord) -> None:
    """Record `record` as the lake's world; the same world keeps the latest day generated so far."""
    previous = read_world_record(store)
    if previous is not None and previous.same_world(record):
        record = replace(record, generated_through=max(record.generated_through, previous.generated_through))
    fields = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(record).items()}
    store.write_bytes(WORLD_RECORD_KEY, (json.dumps(fields, indent=2) + "\n").encode())
