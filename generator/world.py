"""The simulated world every generated source is a view of: its customers and products, day by day.

The shop exports are generated from it now; the Firebase and Amplitude sources will be generated from the
same world later, so that a customer who buys shoes in the shop also browses shoes in the app, and a promo
day lifts orders, app sessions and product views together. Everything here is a pure function of
`(seed, world_start, sizes)` and a day: a day's state is rebuilt by replaying the (cheap) daily changes
since world_start, never by generating the files of the days before.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from contracts.shop import CHANNELS, CUSTOMERS
from generator.clock import (
    EPOCH,
    SECONDS_PER_DAY,
    Promo,
    day_number,
    demand,
    ids_by_day,
    promo_on,
    rng_for,
    times_on,
)

CATEGORIES = (
    "outerwear", "tops", "bottoms", "dresses", "shoes", "bags", "accessories", "beauty", "home", "sportswear",
)  # fmt: skip
CATEGORY_CODES = ("OUT", "TOP", "BOT", "DRS", "SHO", "BAG", "ACC", "BTY", "HOM", "SPT")
CATEGORY_SHARE = np.array([0.08, 0.20, 0.13, 0.07, 0.10, 0.06, 0.10, 0.12, 0.07, 0.07])
CATEGORY_MEDIAN_PRICE = np.array([89_000, 22_000, 32_000, 45_000, 59_000, 49_000, 15_000, 16_000, 19_000, 32_000])
CATEGORY_NOUNS = (
    ("Parka", "Trench Coat", "Blazer", "Puffer", "Cardigan"),
    ("T-Shirt", "Shirt", "Hoodie", "Knit", "Sweatshirt"),
    ("Jeans", "Slacks", "Skirt", "Shorts", "Joggers"),
    ("Midi Dress", "Maxi Dress", "Shirt Dress", "Slip Dress", "Knit Dress"),
    ("Sneakers", "Loafers", "Boots", "Sandals", "Mules"),
    ("Tote", "Backpack", "Crossbody", "Clutch", "Shoulder Bag"),
    ("Cap", "Scarf", "Belt", "Socks", "Earrings"),
    ("Lip Tint", "Cushion", "Serum", "Sunscreen", "Toner"),
    ("Candle", "Mug", "Cushion Cover", "Throw", "Diffuser"),
    ("Leggings", "Track Jacket", "Running Tee", "Yoga Mat", "Windbreaker"),
)
ADJECTIVES = (
    "Classic", "Oversized", "Slim", "Relaxed", "Cropped", "Soft", "Everyday", "Essential",
    "Vintage", "Light", "Wool", "Cotton", "Linen", "Urban", "Studio", "Daily",
)  # fmt: skip
BRANDS = (
    "Aster", "Bomi", "Cheongsan", "Dalbit", "Eunha", "Faro", "Gaon", "Haneul", "Iris & Co", "Jaram",
    "Kkot", "Luma", "Maru", "Nabi", "Onul", "Pado", "Quill", "Rumi", "Saebyeok", "Tteul",
)  # fmt: skip
# Provinces and metropolitan cities, weighted roughly by population.
REGIONS = (
    "Seoul", "Busan", "Daegu", "Incheon", "Gwangju", "Daejeon", "Ulsan", "Sejong", "Gyeonggi",
    "Gangwon", "Chungbuk", "Chungnam", "Jeonbuk", "Jeonnam", "Gyeongbuk", "Gyeongnam", "Jeju",
)  # fmt: skip
REGION_WEIGHTS = np.array([19, 6.5, 4.5, 6, 2.8, 2.8, 2, 0.7, 26.5, 3, 3.1, 4.1, 3.4, 3.5, 5, 6.4, 1.3])
GENDERS = CUSTOMERS.field("gender").allowed
WEB, APP = CHANNELS.index("web"), CHANNELS.index("app")
GENDER_WEIGHTS = np.array([0.56, 0.35, 0.03, 0.06])  # the last one: not declared (null)

ZIPF_EXPONENT = 1.1
TASTE_CONCENTRATION = 2.0  # Dirichlet concentration: low = customers stick to few categories


@dataclass(frozen=True)
class WorldConfig:
    seed: int
    world_start: date
    initial_customers: int
    initial_products: int
    daily_signups: float

    @classmethod
    def for_volume(cls, seed: int, world_start: date, orders_per_day: float) -> WorldConfig:
        """Population sizes that fit a daily order volume: about 20 customers and 2 products per daily order.

        Capped so that a benchmark day of 400k orders keeps its first-day full dumps to ~1M customers.
        """
        return cls(
            seed=seed,
            world_start=world_start,
            initial_customers=int(np.clip(orders_per_day * 20, 500, 1_000_000)),
            initial_products=int(np.clip(orders_per_day * 2, 200, 20_000)),
            daily_signups=orders_per_day * 0.05,
        )


@dataclass(frozen=True)
class Customers:
    """Everyone signed up by the end of a day, in signup order, with attributes as of that day (columnar).

    `activity` (heavy-tailed order rate), `app_affinity` (share of sessions in the app) and `tastes` (a
    Dirichlet mix over CATEGORIES) never change: they are the behaviour every source draws from.
    """

    customer_id: np.ndarray
    signup_ts: np.ndarray
    updated_ts: np.ndarray
    signup_channel: np.ndarray  # index into contracts.shop.CHANNELS
    region: np.ndarray  # index into REGIONS
    gender: np.ndarray  # index into GENDERS, -1 when not declared
    birth_year: np.ndarray  # 0 when not declared
    marketing_opt_in: np.ndarray
    activity: np.ndarray
    app_affinity: np.ndarray
    tastes: np.ndarray  # shape (customers, len(CATEGORIES)), rows sum to 1

    def __len__(self) -> int:
        return len(self.customer_id)

    @cached_property
    def activity_cdf(self) -> np.ndarray:
        """Cumulative activity; its prefix is the cdf of everyone who signed up earlier."""
        return np.cumsum(self.activity)

    def sample(self, rng: np.random.Generator, n: int, population: int) -> np.ndarray:
        """`n` customer indices among the first `population`, drawn in proportion to activity."""
        cdf = self.activity_cdf[:population]
        picks = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        return np.minimum(picks, population - 1)


@dataclass(frozen=True)
class Products:
    """The catalog as of a moment (columnar). `popularity` is Zipf-like and never changes."""

    product_id: np.ndarray
    sku: np.ndarray
    name: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    brand: np.ndarray  # index into BRANDS
    list_price: np.ndarray
    is_active: np.ndarray
    created_ts: np.ndarray
    updated_ts: np.ndarray
    popularity: np.ndarray

    def __len__(self) -> int:
        return len(self.product_id)

    @cached_property
    def _samplers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per category: the active products and the cdf of their popularity."""
        everything = np.flatnonzero(self.is_active)
        samplers = []
        for category in range(len(CATEGORIES)):
            members = np.flatnonzero(self.is_active & (self.category == category))
            members = members if len(members) else everything
            samplers.append((members, np.cumsum(self.popularity[members])))
        return samplers

    def choose(self, rng: np.random.Generator, tastes: np.ndarray) -> np.ndarray:
        """One active product per row of `tastes`: a category by taste, then a product by popularity."""
        cumulative = np.cumsum(tastes, axis=1)
        draws = rng.random(len(tastes), dtype=np.float32) * cumulative[:, -1]
        categories = np.minimum((draws[:, None] > cumulative).sum(axis=1), len(CATEGORIES) - 1)
        chosen = np.empty(len(tastes), dtype=np.int64)
        uniform = rng.random(len(tastes))
        for category, (members, cdf) in enumerate(self._samplers):
            rows = np.flatnonzero(categories == category)
            picks = np.searchsorted(cdf, uniform[rows] * cdf[-1], side="right")
            chosen[rows] = members[np.minimum(picks, len(members) - 1)]
        return chosen


def _round_price(prices: np.ndarray) -> np.ndarray:
    """Shop prices: whole thousands minus 100 won (39,900), at least 1,900."""
    return np.maximum(np.round(prices / 1000) * 1000 - 100, 1_900).astype(np.int64)


def _concat(first, second):
    columns = [f.name for f in fields(first)]
    return type(first)(**{c: np.concatenate([getattr(first, c), getattr(second, c)]) for c in columns})


class World:
    """Customers and products, day by day, from `WorldConfig`; states are cached and advanced forward."""

    OPT_IN_CHANGE_RATE = 0.001  # share of customers who switch marketing consent on a given day
    MOVE_RATE = 0.0002  # share of customers who change their delivery region on a given day
    PRICE_CHANGE_RATE = 0.005
    DEACTIVATION_RATE = 0.002

    def __init__(self, config: WorldConfig) -> None:
        self.config = config
        self._customers: dict[int, Customers] = {}
        self._customer_changes: dict[int, np.ndarray] = {}
        self._population: dict[int, int] = {}  # customers signed up by the end of each day
        self._products: dict[int, Products] = {}
        self._product_changes: dict[int, np.ndarray] = {}

    @property
    def start(self) -> date:
        return self.config.world_start

    def promo_on(self, day: date) -> Promo | None:
        return promo_on(self.config.seed, day)

    def demand(self, day: date) -> float:
        return demand(self.config.seed, day)

    # -- customers --------------------------------------------------------------------------------------

    def customers_on(self, day: date) -> Customers:
        """Everyone signed up by the end of `day`, with attributes as of the end of `day`."""
        # Keep only two: a snapshot is ~80 bytes a customer, and days are generated in order.
        return self._state(day, self._customers, self._initial_customers, self._next_customers, keep=2)

    def customer_changes(self, day: date) -> np.ndarray:
        """Indices (into `customers_on(day)`) of customers created or changed on `day`; all on day one."""
        self.customers_on(day)
        return self._customer_changes[day_number(day)]

    def signups_on(self, day: date) -> range:
        """Indices of the customers who signed up on `day`; everyone before them signed up earlier."""
        self.customers_on(day)  # records the population of every day up to `day`
        first = self.config.initial_customers if day == self.start else self._population[day_number(day) - 1]
        return range(first, self._population[day_number(day)])

    def _draw_customers(self, rng: np.random.Generator, signup_ts: np.ndarray) -> Customers:
        n = len(signup_ts)
        app_affinity = rng.beta(2.0, 1.6, size=n).astype(np.float32)
        shape = np.broadcast_to(TASTE_CONCENTRATION * CATEGORY_SHARE, (n, len(CATEGORIES)))
        gamma = rng.standard_gamma(shape, dtype=np.float32) + np.float32(1e-6)
        birth_year = np.clip(np.round(rng.normal(1991, 9, size=n)), 1950, 2008).astype(np.int16)
        birth_year[rng.random(n) < 0.08] = 0
        gender = rng.choice(len(GENDER_WEIGHTS), size=n, p=GENDER_WEIGHTS).astype(np.int8)
        gender[gender == len(GENDERS)] = -1
        return Customers(
            customer_id=ids_by_day(signup_ts, 10_000_000),
            signup_ts=signup_ts,
            updated_ts=signup_ts.copy(),
            signup_channel=np.where(rng.random(n) < app_affinity, APP, WEB).astype(np.int8),
            region=rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS / REGION_WEIGHTS.sum()).astype(np.int8),
            gender=gender,
            birth_year=birth_year,
            marketing_opt_in=rng.random(n) < 0.55,
            activity=rng.lognormal(0.0, 1.2, size=n),
            app_affinity=app_affinity,
            tastes=gamma / gamma.sum(axis=1, keepdims=True),
        )

    def _initial_customers(self) -> Customers:
        """Customers who signed up during the three years before the world starts (more recently, more)."""
        rng = rng_for(self.config.seed, self.start, "initial-customers")
        n = self.config.initial_customers
        start_seconds = day_number(self.start) * SECONDS_PER_DAY
        span = 3 * 365 * SECONDS_PER_DAY
        signup_ts = np.sort(start_seconds - span + (rng.power(2.0, size=n) * span).astype(np.int64))
        signup_ts = np.minimum(signup_ts, start_seconds - 1)
        customers = self._draw_customers(rng, signup_ts)
        edited = rng.random(n) < 0.35
        updated = signup_ts + (rng.random(n) * (start_seconds - signup_ts)).astype(np.int64)
        # Long-time customers order less often than recent ones.
        age_days = (start_seconds - signup_ts) / SECONDS_PER_DAY
        customers = replace(
            customers,
            updated_ts=np.where(edited, updated, signup_ts),
            activity=customers.activity * (0.3 + 0.7 * np.exp(-age_days / 365)),
        )
        signups = self._draw_customers(rng_for(self.config.seed, self.start, "signups"), self._signup_times(self.start))
        self._customer_changes[day_number(self.start)] = np.arange(n + len(signups))
        self._population[day_number(self.start)] = n + len(signups)
        return _concat(customers, signups)

    def _signup_times(self, day: date) -> np.ndarray:
        rng = rng_for(self.config.seed, day, "signup-times")
        mean = self.config.daily_signups * self.demand(day) ** 0.5
        return times_on(rng, day, int(rng.poisson(mean)))

    def _next_customers(self, previous: Customers, day: date) -> Customers:
        """Yesterday's customers plus today's signups, with today's consent switches and moves."""
        rng = rng_for(self.config.seed, day, "customer-changes")
        n = len(previous)
        switches = int(rng.poisson(n * self.OPT_IN_CHANGE_RATE))
        moves = int(rng.poisson(n * self.MOVE_RATE))
        changed = rng.choice(n, size=min(switches + moves, n), replace=False)
        opt_in = previous.marketing_opt_in.copy()
        opt_in[changed[:switches]] ^= True
        region = previous.region.copy()
        weights = REGION_WEIGHTS / REGION_WEIGHTS.sum()
        region[changed[switches:]] = rng.choice(len(REGIONS), size=len(changed) - switches, p=weights)
        updated_ts = previous.updated_ts.copy()
        updated_ts[changed] = times_on(rng, day, len(changed))
        current = replace(previous, marketing_opt_in=opt_in, region=region, updated_ts=updated_ts)
        signups = self._draw_customers(rng_for(self.config.seed, day, "signups"), self._signup_times(day))
        self._customer_changes[day_number(day)] = np.concatenate([np.sort(changed), np.arange(n, n + len(signups))])
        self._population[day_number(day)] = n + len(signups)
        return _concat(current, signups)

    # -- products ---------------------------------------------------------------------------------------

    def products_on(self, day: date) -> Products:
        """The catalog at the end of `day` (after that day's catalog batch)."""
        return self._state(day, self._products, self._initial_products, self._next_products, keep=9)

    def product_changes(self, day: date) -> np.ndarray:
        """Indices (into `products_on(day)`) of products created or changed on `day`; all on day one."""
        self.products_on(day)
        return self._product_changes[day_number(day)]

    def catalog_batch_ts(self, day: date) -> int:
        """When the nightly catalog batch of `day` runs (02:00-05:00); orders before it see yesterday's."""
        rng = rng_for(self.config.seed, day, "catalog-batch")
        return day_number(day) * SECONDS_PER_DAY + 7_200 + int(rng.integers(0, 10_800))

    def catalog_at(self, day: date, local_seconds: int) -> Products:
        """The catalog as orders placed at `local_seconds` on `day` see it."""
        if day > self.start and local_seconds < self.catalog_batch_ts(day):
            return self.products_on(day - timedelta(days=1))
        return self.products_on(day)

    def _draw_products(self, rng: np.random.Generator, created_ts: np.ndarray, popularity: np.ndarray) -> Products:
        n = len(created_ts)
        category = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_SHARE).astype(np.int8)
        brand = rng.zipf(1.6, size=n) % len(BRANDS)
        adjective = rng.integers(0, len(ADJECTIVES), size=n)
        noun = rng.integers(0, 5, size=n)
        price = CATEGORY_MEDIAN_PRICE[category] * rng.lognormal(0.0, 0.4, size=n)
        product_id = ids_by_day(created_ts, 100_000)
        return Products(
            product_id=product_id,
            sku=np.array(
                [f"{CATEGORY_CODES[c]}-{b:02d}-{p}" for c, b, p in zip(category, brand, product_id, strict=True)],
                dtype=object,
            ),
            name=np.array(
                [
                    f"{BRANDS[b]} {ADJECTIVES[a]} {CATEGORY_NOUNS[c][o]}"
                    for b, a, c, o in zip(brand, adjective, category, noun, strict=True)
                ],
                dtype=object,
            ),
            category=category,
            brand=brand.astype(np.int16),
            list_price=_round_price(price),
            is_active=np.ones(n, dtype=bool),
            created_ts=created_ts,
            updated_ts=created_ts.copy(),
            popularity=popularity,
        )

    def _initial_products(self) -> Products:
        """The catalog built over the two years before the world starts; a few products already retired."""
        rng = rng_for(self.config.seed, self.start, "initial-products")
        n = self.config.initial_products
        start_seconds = day_number(self.start) * SECONDS_PER_DAY
        span = 2 * 365 * SECONDS_PER_DAY
        created_ts = np.sort(start_seconds - span + (rng.power(1.5, size=n) * span).astype(np.int64))
        created_ts = np.minimum(created_ts, start_seconds - 1)
        ranks = rng.permutation(n) + 1
        products = self._draw_products(rng, created_ts, ranks.astype(np.float64) ** -ZIPF_EXPONENT)
        edited = rng.random(n) < 0.3
        retired = edited & (rng.random(n) < 0.2)
        updated = created_ts + (rng.random(n) * (start_seconds - created_ts)).astype(np.int64)
        self._product_changes[day_number(self.start)] = np.arange(n)
        return replace(products, is_active=~retired, updated_ts=np.where(edited, updated, created_ts))

    def _next_products(self, previous: Products, day: date) -> Products:
        """The nightly catalog batch: a few price changes, retirements and new products."""
        rng = rng_for(self.config.seed, day, "catalog")
        active = np.flatnonzero(previous.is_active)
        repriced_n = int(rng.poisson(len(active) * self.PRICE_CHANGE_RATE))
        retired_n = int(rng.poisson(len(active) * self.DEACTIVATION_RATE))
        changed = rng.choice(active, size=min(repriced_n + retired_n, len(active)), replace=False)
        repriced, retired = changed[:repriced_n], changed[repriced_n:]
        new_n = int(rng.poisson(max(0.5, self.config.initial_products * 0.004)))
        batch = self.catalog_batch_ts(day)
        stamps = batch + np.cumsum(rng.integers(1, 4, size=len(changed) + new_n))
        list_price = previous.list_price.copy()
        list_price[repriced] = _round_price(list_price[repriced] * rng.uniform(0.7, 1.15, size=len(repriced)))
        is_active = previous.is_active.copy()
        is_active[retired] = False
        updated_ts = previous.updated_ts.copy()
        order = np.sort(changed)
        updated_ts[order] = stamps[: len(changed)]
        current = replace(previous, list_price=list_price, is_active=is_active, updated_ts=updated_ts)
        # A new product is as likely to be a hit as any: its Zipf rank is drawn uniformly.
        ranks = rng.uniform(1, self.config.initial_products, size=new_n)
        created = self._draw_products(rng, stamps[len(changed) :], ranks**-ZIPF_EXPONENT)
        n = len(previous)
        self._product_changes[day_number(day)] = np.concatenate([order, np.arange(n, n + new_n)])
        return _concat(current, created)

    # -- state caching ----------------------------------------------------------------------------------

    def _state(self, day, cache, initial, advance, keep):
        """The state at the end of `day`, advanced from the latest cached earlier state; keeps `keep` days."""
        if day < self.start:
            raise ValueError(f"{day} is before the world starts ({self.start})")
        target = day_number(day)
        if target not in cache:
            earlier = [n for n in cache if n < target]
            current = max(earlier) if earlier else day_number(self.start)
            if current not in cache:
                cache[current] = initial()
            while current < target:
                cache[current + 1] = advance(cache[current], EPOCH + timedelta(days=current + 1))
                current += 1
                for stale in [n for n in cache if n <= current - keep]:
                    del cache[stale]
        return cache[target]
