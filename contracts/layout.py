"""Key layouts: how a source's object keys name an entity (a table, a project) and a time partition.

A layout reads a key into (entity, partition key) and writes the way back (the prefix under which one
partition's files land, an example key), so the landing sensor, the loader, the generator and the docs
share one definition per source. Partition keys are in Dagster's default format for the granularity
(`YYYY-MM-DD`, `YYYY-MM-DD-HH:MM`) and in the layout's partition timezone; contracts do not import Dagster,
so the asset layer checks that a partitions definition agrees (assets/landing_routes.py).

A key the layout cannot read raises `UnmappedKeyError` with the reason in words; the landing sensor counts
and names those keys (defect 7 of issue 13). Marker files (`_SUCCESS`, `.crc`: a name starting with `_`
or `.`, Hadoop's hidden-file rule) are never data: `is_marker` tells them apart so nobody reports them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import ClassVar
from zoneinfo import ZoneInfo

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Granularity(Enum):
    """How long a partition of a layout is, and how its key is written (Dagster's default formats)."""

    HOURLY = "hourly"
    DAILY = "daily"

    @property
    def key_format(self) -> str:
        return "%Y-%m-%d-%H:%M" if self is Granularity.HOURLY else "%Y-%m-%d"

    def recent_keys(self, now: datetime, count: int) -> list[str]:
        """The partition key holding `now` and the `count - 1` before it, newest first, in `now`'s timezone."""
        if self is Granularity.DAILY:
            return [(now.date() - timedelta(days=i)).strftime(self.key_format) for i in range(count)]
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)  # hours step in UTC: DST-safe
        return [(hour - timedelta(hours=i)).astimezone(now.tzinfo).strftime(self.key_format) for i in range(count)]


@dataclass(frozen=True)
class KeyLocation:
    """What a landed key is: a file of `entity` (a table, a project) in partition `partition_key`."""

    entity: str
    partition_key: str


class UnmappedKeyError(ValueError):
    """A key that names no partition of its layout; `reason` says why, in words a user acts on."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def is_marker(key: str) -> bool:
    """`_SUCCESS`, `_committed_1`, `.part.crc`: bookkeeping files exporters write beside the data."""
    return key.rsplit("/", 1)[-1].startswith(("_", "."))


def parse_iso_date(text: str) -> date | None:
    """A strict `YYYY-MM-DD` that exists in the calendar (not `2026-02-30`, not `latest`), else None."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class KeyLayout(ABC):
    """A source's key pattern <-> (entity, partition key). Keys all start with `root`, end with `suffix`."""

    root: str
    suffix: str
    timezone: str  # of the partition keys
    granularity: ClassVar[Granularity]
    entity_kind: str  # what an entity is ("table", "project"), in messages and docs

    @abstractmethod
    def pattern_for(self, entity: str) -> str:
        """The key pattern of one entity's files in words, for docs (`shop/orders/dt=YYYY-MM-DD/...`)."""

    @property
    def pattern(self) -> str:
        """The key pattern in words, for docs and messages."""
        return self.pattern_for(f"<{self.entity_kind}>")

    @abstractmethod
    def locate(self, key: str) -> KeyLocation:
        """The entity and partition of a data file's key; `UnmappedKeyError` if the key names none."""

    @abstractmethod
    def partition_prefix(self, entity: str, partition_key: str) -> str:
        """The prefix every file of one partition starts with (and no file of another partition)."""

    @abstractmethod
    def example_key(self, entity: str, partition_key: str, chunk: int = 0) -> str:
        """A key of the partition, the `chunk`-th file of it (what writers of this layout name files)."""

    def entity_prefix(self, entity: str) -> str:
        return f"{self.root}{entity}/"

    def entity_of(self, key: str) -> str | None:
        """The entity a key's folder names, also when the rest of it does not map (to say whose key it is)."""
        parts = key.removeprefix(self.root).split("/") if key.startswith(self.root) else []
        return parts[0] if len(parts) > 1 and parts[0] else None

    def _relative(self, key: str) -> str:
        """The key below `root`, checked for the root and the suffix."""
        if not key.startswith(self.root):
            raise UnmappedKeyError(key, f"not under {self.root}")
        if not key.endswith(self.suffix):
            raise UnmappedKeyError(key, f"not a {self.suffix} file")
        return key[len(self.root) :]


@dataclass(frozen=True)
class DailyFolderLayout(KeyLayout):
    """`<root><entity>/dt=YYYY-MM-DD/<name><suffix>`: a folder per entity and day (Hive style), the day in
    `timezone`. Any file name with the suffix is a file of the day, as the loader reads them all."""

    root: str
    suffix: str
    timezone: str
    entity_kind: str = "table"
    granularity: ClassVar[Granularity] = Granularity.DAILY

    def pattern_for(self, entity: str) -> str:
        return f"{self.root}{entity}/dt=YYYY-MM-DD/part-NNNN{self.suffix}"

    def locate(self, key: str) -> KeyLocation:
        parts = self._relative(key).split("/")
        if len(parts) != 3 or not parts[1].startswith("dt=") or not parts[0]:
            raise UnmappedKeyError(key, f"not {self.pattern}")
        if is_marker(key):
            raise UnmappedKeyError(key, "a marker file, not data")
        day = parts[1].removeprefix("dt=")
        if parse_iso_date(day) is None:
            raise UnmappedKeyError(key, f"dt={day} is not a calendar date (YYYY-MM-DD)")
        return KeyLocation(parts[0], day)

    def partition_prefix(self, entity: str, partition_key: str) -> str:
        if parse_iso_date(partition_key) is None:
            raise ValueError(f"not a day partition key (YYYY-MM-DD): {partition_key!r}")
        return f"{self.entity_prefix(entity)}dt={partition_key}/"

    def example_key(self, entity: str, partition_key: str, chunk: int = 0) -> str:
        return f"{self.partition_prefix(entity, partition_key)}part-{chunk:04d}{self.suffix}"


HOURLY_CHUNK = re.compile(r"(?P<entity>[^/]+)/(?P<file_entity>[^/_]+)_(?P<day>[^_/]+)_(?P<hour>[^_/#]+)#(?P<chunk>\d+)")
UNPADDED_HOUR = re.compile(r"1?\d|2[0-3]")  # 0..23 as Amplitude writes it: `5`, never `05`


@dataclass(frozen=True)
class HourlyChunkLayout(KeyLayout):
    """Amplitude's export layout: `<root><project>/<project>_<YYYY-MM-DD>_<H>#<n><suffix>`, several chunks
    `#n` per hour, grouped by the UTC hour events were uploaded in (`H` is 0-23, not zero-padded).

    The partition keys are hours in `timezone`, which for the pipelines is Asia/Seoul, the business
    timezone: Dagster maps hourly partitions onto the Seoul days of the 07:00 job and the daily assets
    only between definitions of the same timezone (TimeWindowPartitionMapping refuses others), and Seoul
    keeps UTC+9 all year (no DST since 1988), so every UTC file hour is exactly one Seoul hour:
    `..._2026-11-03_5#0.json.gz` is partition `2026-11-03-14:00`, `..._2026-11-03_15#2.json.gz` is
    `2026-11-04-00:00`. A zero-padded hour (`_05#`) is refused: `partition_prefix` would never list it.
    """

    root: str
    timezone: str
    suffix: str = ".json.gz"
    entity_kind: str = "project"
    granularity: ClassVar[Granularity] = Granularity.HOURLY

    def pattern_for(self, entity: str) -> str:
        return f"{self.root}{entity}/{entity}_<YYYY-MM-DD>_<H>#<n>{self.suffix}"

    def locate(self, key: str) -> KeyLocation:
        match = HOURLY_CHUNK.fullmatch(self._relative(key).removesuffix(self.suffix))
        if match is None:
            raise UnmappedKeyError(key, f"not {self.pattern}")
        if match["file_entity"] != match["entity"]:
            raise UnmappedKeyError(key, f"file of {self.entity_kind} {match['file_entity']} under {match['entity']}/")
        day = parse_iso_date(match["day"])
        if day is None:
            raise UnmappedKeyError(key, f"{match['day']} is not a calendar date (YYYY-MM-DD)")
        if not UNPADDED_HOUR.fullmatch(match["hour"]):
            raise UnmappedKeyError(key, f"hour {match['hour']} is not 0-23 written without a leading zero")
        utc_hour = datetime(day.year, day.month, day.day, int(match["hour"]), tzinfo=UTC)
        return KeyLocation(match["entity"], utc_hour.astimezone(ZoneInfo(self.timezone)).strftime(self._key_format))

    def partition_prefix(self, entity: str, partition_key: str) -> str:
        try:
            hour = datetime.strptime(partition_key, self._key_format).replace(tzinfo=ZoneInfo(self.timezone))
        except ValueError:
            hour = None
        if hour is None or hour.minute:
            raise ValueError(f"not an hour partition key (YYYY-MM-DD-HH:00): {partition_key!r}")
        utc = hour.astimezone(UTC)
        return f"{self.entity_prefix(entity)}{entity}_{utc:%Y-%m-%d}_{utc.hour}#"

    def example_key(self, entity: str, partition_key: str, chunk: int = 0) -> str:
        return f"{self.partition_prefix(entity, partition_key)}{chunk}{self.suffix}"

    @property
    def _key_format(self) -> str:
        return self.granularity.key_format
