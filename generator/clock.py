"""When things happen in the simulated world: local time, named random streams and the demand calendar.

Time is kept as *local seconds*: seconds since 1970-01-01 00:00 on the Asia/Seoul wall clock (KST has no
daylight saving, so the UTC instant is `local_seconds - 9 h`). The business day of a timestamp is then
simply `local_seconds // 86_400` days after 1970-01-01. Every source shares this calendar, so a promo day
or a Monday evening lifts orders, app sessions and product views together.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

SECONDS_PER_DAY = 86_400
EPOCH = date(1970, 1, 1)
UTC_OFFSET = "+09:00"

# Demand by weekday (Mon..Sun, mean 1.0) and by hour of day; Monday evenings and weekend afternoons peak.
WEEKDAY_DEMAND = np.array([1.04, 0.93, 0.91, 0.93, 0.96, 1.08, 1.15])
_HOURLY = np.array([
    1.6, 1.0, 0.6, 0.4, 0.3, 0.4, 0.8, 1.5, 2.4, 3.0, 3.4, 3.8,
    4.4, 4.2, 3.8, 3.7, 3.8, 4.0, 4.3, 4.9, 5.6, 6.3, 6.0, 3.6,
])  # fmt: skip
ELEVEN_DAY_LIFT = 1.8  # the 11th of each month is the big sale
FLASH_PROMO_PROBABILITY = 0.06


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of(local_seconds: int) -> date:
    """The business day of a local-seconds timestamp."""
    return EPOCH + timedelta(days=int(local_seconds) // SECONDS_PER_DAY)


def rng_for(seed: int, *parts: int | str | date) -> np.random.Generator:
    """A random stream named by (seed, day, purpose, ...): one day's draws never depend on another day's."""
    words = [seed]
    for part in parts:
        if isinstance(part, date):
            words.append(part.toordinal())
        elif isinstance(part, str):
            words.append(zlib.crc32(part.encode()))
        else:
            words.append(int(part))
    return np.random.default_rng(np.random.SeedSequence(words))


def yyyymmdd(day_numbers: np.ndarray) -> np.ndarray:
    """20261103-style integers for day numbers, the prefix of every generated id."""
    days = np.asarray(day_numbers, dtype="int64").astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    dom = (days - months).astype(np.int64) + 1
    return year * 10_000 + month * 100 + dom


def ids_by_day(local_seconds: np.ndarray, per_day: int) -> np.ndarray:
    """Ids `yyyymmdd * per_day + n` (n = 1, 2, ... within the day) for timestamps sorted ascending."""
    days = local_seconds // SECONDS_PER_DAY
    rank = np.arange(len(days)) - np.searchsorted(days, days, side="left") + 1
    return yyyymmdd(days) * per_day + rank


def hourly_demand(day: date) -> np.ndarray:
    """Share of the day's activity per hour: evening peak, stronger on Mondays, flatter at weekends."""
    weights = _HOURLY.copy()
    if day.weekday() == 0:
        weights[20:24] *= 1.35
    elif day.weekday() >= 5:
        weights[10:18] *= 1.3
    return weights / weights.sum()


def times_on(rng: np.random.Generator, day: date, n: int) -> np.ndarray:
    """`n` sorted local-seconds timestamps on `day`, following the intraday demand profile."""
    hours = rng.choice(24, size=n, p=hourly_demand(day))
    seconds = hours * 3600 + rng.integers(0, 3600, size=n)
    return np.sort(day_number(day) * SECONDS_PER_DAY + seconds)


@dataclass(frozen=True)
class Promo:
    code: str
    demand_lift: float
    share: float
    """Share of the day's orders that use the code."""
    discount: tuple[float, float]
    """Range of the discount rate on the order subtotal."""


def promo_on(seed: int, day: date) -> Promo | None:
    """The 11th of each month is the big sale; a few random days a month run a flash promo."""
    if day.day == 11:
        return Promo(f"ELEVEN{day:%y%m}", ELEVEN_DAY_LIFT, share=0.75, discount=(0.15, 0.30))
    rng = rng_for(seed, day, "promo")
    if rng.random() < FLASH_PROMO_PROBABILITY:
        return Promo(f"FLASH{day:%y%m%d}", float(rng.uniform(1.4, 1.6)), share=0.6, discount=(0.10, 0.20))
    return None


def demand(seed: int, day: date) -> float:
    """Relative demand of a day (1.0 = an average weekday mix without promotion)."""
    promo = promo_on(seed, day)
    return float(WEEKDAY_DEMAND[day.weekday()]) * (promo.demand_lift if promo else 1.0)
