"""Keys that map to no partition (`dt=latest/`, `dt=2026-02-30/`, a day before the first partition, an
unknown table): counted and named where a user looks, instead of being skipped in silence.

Where: the `unmapped_keys` asset check of each raw-file asset (failing, severity WARN, while any key
concerns it: the count, the first keys with their reasons, a digest of the whole set), and one INFO line
in the sensor's log (the count and the first keys). A key naming a known entity concerns that entity's
raw-file asset; any other key concerns every raw-file asset of its route.

When: the sweep of the landing sensor meets every key once a lap, so it tallies a lap's unmapped keys in
its cursor (bounded: a count, a digest and the first few keys per asset) and, at the end of a lap that
started at the beginning of the prefix, reports each asset whose set differs from its latest check
evaluation (durable state, read once a lap). The same keys met lap after lap are reported once; a clean
bucket is never reported. The check can also be run from the UI: it lists the whole prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    DagsterInstance,
    MetadataValue,
    multi_asset_check,
)

from assets.landing_routes import LandingRoute, UnmappedKey

UNMAPPED_KEYS_CHECK = "unmapped_keys"
SHOWN_KEYS = 5  # keys named in the check's metadata and the log line; the count covers all
DIGEST = "key_set_digest"


@dataclass
class KeySetTally:
    """A set of unmapped keys met in key order: how many, a digest of all, and the first few."""

    count: int = 0
    digest: str = ""  # "" is the empty set
    first: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)

    def add(self, key: str, reason: str) -> None:
        self.count += 1
        self.digest = hashlib.sha1(f"{self.digest}\n{key}\t{reason}".encode()).hexdigest()[:16]
        if len(self.first) < SHOWN_KEYS:
            self.first.append((key, reason))

    def keys_map(self) -> str:
        return f"{self.count:,} key maps" if self.count == 1 else f"{self.count:,} keys map"

    def named(self) -> str:
        shown = "; ".join(f"{key} ({reason})" for key, reason in self.first)
        return shown + (f"; +{self.count - len(self.first)} more" if self.count > len(self.first) else "")

    def metadata(self) -> dict[str, MetadataValue]:
        listed = "\n".join(f"- `{key}`: {reason}" for key, reason in self.first)
        more = f"\n- ... and {self.count - len(self.first)} more" if self.count > len(self.first) else ""
        return {
            UNMAPPED_KEYS_CHECK: MetadataValue.int(self.count),
            "first_unmapped_keys": MetadataValue.md(listed + more or "none"),
            DIGEST: MetadataValue.text(self.digest),
        }

    def to_json(self) -> list:
        return [self.count, self.digest, [list(pair) for pair in self.first]]

    @classmethod
    def from_json(cls, raw: list) -> KeySetTally:
        return cls(raw[0], raw[1], [(key, reason) for key, reason in raw[2]])


@dataclass
class LapTally:
    """The unmapped keys of one lap of the sweep: per raw-file asset, and for the route as a whole."""

    by_asset: dict[str, KeySetTally] = field(default_factory=dict)  # asset key (user string) -> tally
    route: KeySetTally = field(default_factory=KeySetTally)

    def add(self, unmapped: UnmappedKey) -> None:
        self.route.add(unmapped.key, unmapped.reason)
        for asset in unmapped.files_assets:
            self.by_asset.setdefault(asset.to_user_string(), KeySetTally()).add(unmapped.key, unmapped.reason)

    def of(self, asset: AssetKey) -> KeySetTally:
        return self.by_asset.get(asset.to_user_string(), KeySetTally())

    def to_json(self) -> dict:
        """Nothing while the lap met no unmapped key, so the cursor stays short; "" is the route's tally."""
        if not self.route.count:
            return {}
        return {"": self.route.to_json(), **{k: t.to_json() for k, t in self.by_asset.items()}}

    @classmethod
    def from_json(cls, raw: Mapping) -> LapTally:
        tallies = {k: KeySetTally.from_json(v) for k, v in raw.items()}
        return cls(tallies, tallies.pop("", KeySetTally()))

    @classmethod
    def of_keys(cls, route: LandingRoute, keys: Iterable[str]) -> LapTally:
        tally = cls()
        for key in keys:
            target = route.target(key)
            if isinstance(target, UnmappedKey):
                tally.add(target)
        return tally


def evaluation(route: LandingRoute, asset: AssetKey, tally: KeySetTally) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(asset_key=asset, check_name=UNMAPPED_KEYS_CHECK, **_outcome(route, tally))


def changed_reports(instance: DagsterInstance, route: LandingRoute, lap: LapTally) -> list[AssetCheckEvaluation]:
    """The check evaluations of the assets whose unmapped keys differ from their latest evaluation."""
    check_keys = {asset: AssetCheckKey(asset, UNMAPPED_KEYS_CHECK) for asset in route.files_assets.values()}
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys.values()))
    reports = []
    for asset, check_key in check_keys.items():
        record = latest.get(check_key)
        reported = record.evaluation.metadata.get(DIGEST) if record and record.evaluation else None
        if (reported.value if reported else "") != lap.of(asset).digest:
            reports.append(evaluation(route, asset, lap.of(asset)))
    return reports


def unmapped_keys_checks(route: LandingRoute, store_resource_key: str) -> AssetChecksDefinition:
    """The `unmapped_keys` check of every raw-file asset of `route`, run on demand over a full listing
    (the landing sensor reports the same check once a lap, without running it)."""
    specs = [
        AssetCheckSpec(
            UNMAPPED_KEYS_CHECK,
            asset=asset,
            description=f"Keys under {route.layout.root} that map to no partition of this asset's files.",
        )
        for asset in route.files_assets.values()
    ]

    @multi_asset_check(name=f"{route.name}_unmapped_keys", specs=specs, required_resource_keys={store_resource_key})
    def check_unmapped_keys(context) -> Iterable[AssetCheckResult]:  # no hint: Dagster refuses a string one
        store = getattr(context.resources, store_resource_key)
        lap = LapTally.of_keys(route, (obj.key for obj in store.list_objects(route.layout.root)))
        for asset in route.files_assets.values():
            yield AssetCheckResult(asset_key=asset, check_name=UNMAPPED_KEYS_CHECK, **_outcome(route, lap.of(asset)))

    return check_unmapped_keys


def _outcome(route: LandingRoute, tally: KeySetTally) -> dict:
    """What a check evaluation of `tally` says, whether the sensor reports it or a run computes it."""
    layout = route.layout
    if tally.count:
        description = f"{tally.keys_map()} to no partition of {layout.pattern} under {layout.root}."
    else:
        description = f"Every key under {layout.root} maps to a partition ({layout.pattern})."
    return {
        "passed": tally.count == 0,
        "severity": AssetCheckSeverity.WARN,
        "metadata": tally.metadata(),
        "description": description,
    }
