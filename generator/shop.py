"""The shop's service-database exports: orders, order_items, customers and products, day by day.

Exports are change-data-capture style: the file of day `dt` holds the rows created or changed on `dt`.
Orders are placed `paid`; about 4% are cancelled within 24 hours and about 3% refunded 2-7 days after
placement, each change being a new version of the order in the file of the day it happened. No order
changes more than STATUS_CHANGE_WINDOW_DAYS after its placement, so the export of day E carries changes
of orders placed on E-7..E, and those days are regenerated (deterministically) to produce it: a range, or
any sub-range of it with the same world_start and seed, gives byte-identical files for the same days.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from contracts.shop import CHANNELS, CUSTOMERS, ORDER_ITEMS, ORDER_STATUSES, ORDERS, PRODUCTS, TABLES_BY_NAME
from generator.clock import SECONDS_PER_DAY, day_number, rng_for, times_on, yyyymmdd
from generator.export import (
    Delivery,
    GenerationReport,
    Ints,
    Table,
    Timestamps,
    Tokens,
    concat,
    encode_lines,
    json_tokens,
    nullable_ints,
    take,
)
from generator.faults import FaultConfig, apply_line_faults, choose_late_keys
from generator.world import APP, BRANDS, CATEGORIES, GENDERS, REGIONS, WEB, Customers, Products, World, WorldConfig
from generator.world_record import WorldRecord, record_world
from resources.storage.interface import ObjectStore

STATUS_CHANGE_WINDOW_DAYS = 7
CANCEL_RATE = 0.04
REFUND_RATE = 0.03
FREE_SHIPPING_FROM = 50_000
SHIPPING_FEE = 3_000
FIRST_ORDER_SHARE = 0.3  # of a day's signups who order the same day
COUPON_CODES = ("WELCOME10", "COUPON3000", "COUPON5000")
PAID, CANCELLED, REFUNDED = (ORDER_STATUSES.index(s) for s in ("paid", "cancelled", "refunded"))
DELIVERY_ORDER = (CUSTOMERS, PRODUCTS, ORDERS, ORDER_ITEMS)  # referenced rows land first

_BOOL = np.array(["false", "true"], dtype=object)


@dataclass(frozen=True)
class ShopConfig:
    seed: int = 7
    orders_per_day: float = 300.0
    """Mean orders on an average day; weekdays, promotions and Poisson noise move each day around it."""
    world_start: date | None = None
    """First day of the world (full dumps of customers and products); default: the first generated day."""
    initial_customers: int | None = None
    initial_products: int | None = None
    max_lines_per_file: int = 1_000_000
    compresslevel: int = 3
    """gzip level. A 1M-line day: level 3 ~14 s, level 6 ~21 s (the writer thread becomes the bottleneck)."""
    faults: FaultConfig = field(default_factory=FaultConfig)

    def world_config(self, world_start: date) -> WorldConfig:
        sized = WorldConfig.for_volume(self.seed, world_start, self.orders_per_day)
        return WorldConfig(
            seed=self.seed,
            world_start=world_start,
            initial_customers=self.initial_customers or sized.initial_customers,
            initial_products=self.initial_products or sized.initial_products,
            daily_signups=sized.daily_signups,
        )


@dataclass(frozen=True)
class DayOrders:
    """The orders placed on one day, their items and their fate (columnar, orders sorted by placed_ts)."""

    day: date
    order_id: np.ndarray
    customer_id: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    placed_ts: np.ndarray
    subtotal: np.ndarray
    discount: np.ndarray
    shipping: np.ndarray
    total: np.ndarray
    promo: np.ndarray  # index into promo_codes, -1 when none
    promo_codes: tuple[str, ...]
    change_status: np.ndarray  # PAID (no change), CANCELLED or REFUNDED
    change_ts: np.ndarray
    item_order: np.ndarray  # per item: index of its order
    order_item_id: np.ndarray
    product_id: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray

    def __len__(self) -> int:
        return len(self.order_id)


def _discounts(
    rng: np.random.Generator, subtotal: np.ndarray, first_order: np.ndarray, promo_rate: tuple | None
) -> tuple[np.ndarray, np.ndarray]:
    """Order-level discounts and the code that gave them (index into COUPON_CODES + the day's promo).

    Newcomers mostly use the welcome coupon, a promo day's code is used by most orders, a few orders use
    a fixed coupon, and some get an automatic time-sale discount without any code.
    """
    n = len(subtotal)
    welcome_draw, promo_draw, coupon_draw, sale_draw = rng.random((4, n))
    code = np.full(n, -1, dtype=np.int16)
    rate = np.zeros(n)
    welcome = first_order & (welcome_draw < 0.8)
    code[welcome], rate[welcome] = 0, 0.10
    free = ~welcome
    if promo_rate is not None:
        share, low, high = promo_rate
        promo = free & (promo_draw < share)
        code[promo] = len(COUPON_CODES)
        rate[promo] = rng.uniform(low, high, size=n)[promo]
        free &= ~promo
    fixed = np.zeros(n, dtype=np.int64)
    coupon = free & (coupon_draw < 0.08) & (subtotal >= 30_000)
    big = coupon & (subtotal >= 70_000)
    code[coupon], fixed[coupon] = 1, 3_000
    code[big], fixed[big] = 2, 5_000
    time_sale = free & ~coupon & (sale_draw < 0.05)
    rate[time_sale] = 0.05
    discount = (subtotal * rate // 100).astype(np.int64) * 100 + fixed
    return discount, code


def _fates(rng: np.random.Generator, placed_ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cancellations within 24 h of placement, refunds 2-7 days after; never later than the window."""
    n = len(placed_ts)
    draw = rng.random(n)
    cancel_delay = np.clip(rng.exponential(4 * 3600, size=n), 120, SECONDS_PER_DAY - 1).astype(np.int64)
    refund_delay = rng.integers(2 * SECONDS_PER_DAY, STATUS_CHANGE_WINDOW_DAYS * SECONDS_PER_DAY, size=n)
    status = np.full(n, PAID, dtype=np.int8)
    change_ts = np.zeros(n, dtype=np.int64)
    cancelled = draw < CANCEL_RATE
    refunded = ~cancelled & (draw < CANCEL_RATE + REFUND_RATE)
    status[cancelled], change_ts[cancelled] = CANCELLED, (placed_ts + cancel_delay)[cancelled]
    status[refunded], change_ts[refunded] = REFUNDED, (placed_ts + refund_delay)[refunded]
    return status, change_ts


class ShopSimulator:
    """The shop's tables for any day of a world; orders of recent days are cached for their changes."""

    def __init__(self, world: World, orders_per_day: float) -> None:
        self.world = world
        self.orders_per_day = orders_per_day
        self._orders: dict[date, DayOrders] = {}

    def orders_placed_on(self, day: date) -> DayOrders:
        if day not in self._orders:
            self._orders[day] = self._simulate_orders(day)
            for stale in [d for d in self._orders if d < day - timedelta(days=STATUS_CHANGE_WINDOW_DAYS)]:
                del self._orders[stale]
        return self._orders[day]

    def _buyers(self, rng: np.random.Generator, day: date, n: int, customers: Customers):
        """Who orders when: some of today's signups right after signing up, the rest by activity."""
        signups = self.world.signups_on(day)
        newcomers = np.arange(signups.start, signups.stop)[rng.random(len(signups)) < FIRST_ORDER_SHARE][:n]
        first_ts = customers.signup_ts[newcomers] + 60 + rng.exponential(1200, len(newcomers)).astype(np.int64)
        same_day = first_ts < (day_number(day) + 1) * SECONDS_PER_DAY
        newcomers, first_ts = newcomers[same_day], first_ts[same_day]
        regulars = customers.sample(rng, n - len(newcomers), signups.start)
        buyers = np.concatenate([newcomers, regulars])
        placed = np.concatenate([first_ts, times_on(rng, day, len(regulars))])
        first = np.arange(len(buyers)) < len(newcomers)
        order = np.argsort(placed, kind="stable")
        return buyers[order], placed[order], first[order]

    def _items(self, rng: np.random.Generator, day: date, buyers, placed, customers: Customers):
        """Lines of each order: products by the buyer's tastes and popularity, at the catalog's price."""
        promo = self.world.promo_on(day)
        lines = np.minimum(1 + rng.poisson(1.8 if promo else 1.5, size=len(buyers)), 12)
        item_order = np.repeat(np.arange(len(buyers)), lines)
        product_id = np.zeros(len(item_order), dtype=np.int64)
        unit_price = np.zeros(len(item_order), dtype=np.int64)
        batch = self.world.catalog_batch_ts(day)
        early = placed[item_order] < batch
        for rows_mask, moment in ((early, batch - 1), (~early, batch)):
            rows = np.flatnonzero(rows_mask)
            catalog = self.world.catalog_at(day, moment)
            picks = catalog.choose(rng, customers.tastes[buyers[item_order[rows]]])
            product_id[rows], unit_price[rows] = catalog.product_id[picks], catalog.list_price[picks]
        quantity = rng.choice(np.array([1, 2, 3]), size=len(item_order), p=[0.86, 0.11, 0.03])
        return item_order, product_id, quantity, unit_price

    def _simulate_orders(self, day: date) -> DayOrders:
        rng = rng_for(self.world.config.seed, day, "orders")
        customers = self.world.customers_on(day)
        promo = self.world.promo_on(day)
        n = int(rng.poisson(self.orders_per_day * self.world.demand(day)))
        buyers, placed, first = self._buyers(rng, day, n, customers)
        n = len(buyers)
        in_app = np.where(rng.random(n) < customers.app_affinity[buyers], APP, WEB)
        channel = np.where(first, customers.signup_channel[buyers], in_app)
        item_order, product_id, quantity, unit_price = self._items(rng, day, buyers, placed, customers)
        subtotal = np.bincount(item_order, weights=quantity * unit_price, minlength=n).astype(np.int64)
        promo_rate = (promo.share, *promo.discount) if promo else None
        discount, promo_index = _discounts(rng, subtotal, first, promo_rate)
        shipping = np.where(subtotal < FREE_SHIPPING_FROM, SHIPPING_FEE, 0).astype(np.int64)
        status, change_ts = _fates(rng_for(self.world.config.seed, day, "fates"), placed)
        prefix = int(yyyymmdd(np.array([day_number(day)]))[0])
        return DayOrders(
            day=day,
            order_id=prefix * 10_000_000 + np.arange(1, n + 1),
            customer_id=customers.customer_id[buyers],
            channel=channel.astype(np.int8),
            placed_ts=placed,
            subtotal=subtotal,
            discount=discount,
            shipping=shipping,
            total=subtotal - discount + shipping,
            promo=promo_index,
            promo_codes=COUPON_CODES + ((promo.code,) if promo else ()),
            change_status=status,
            change_ts=change_ts,
            item_order=item_order,
            order_item_id=prefix * 100_000_000 + np.arange(1, len(item_order) + 1),
            product_id=product_id,
            quantity=quantity.astype(np.int64),
            unit_price=unit_price,
        )

    # -- export tables -----------------------------------------------------------------------------------

    def export_tables(self, day: date) -> dict[str, Table]:
        """Every table's rows for the export of `day`, in delivery order."""
        tables = {
            CUSTOMERS.name: customers_table(self.world.customers_on(day), self.world.customer_changes(day)),
            PRODUCTS.name: products_table(self.world.products_on(day), self.world.product_changes(day)),
            ORDERS.name: self._order_versions(day),
            ORDER_ITEMS.name: order_items_table(self.orders_placed_on(day)),
        }
        return {contract.name: tables[contract.name] for contract in DELIVERY_ORDER}

    def _order_versions(self, day: date) -> Table:
        """Orders placed on `day` (paid) and every status change that happened on `day`, by updated_at."""
        first = max(self.world.start, day - timedelta(days=STATUS_CHANGE_WINDOW_DAYS))
        pieces = []
        for offset in range((day - first).days + 1):
            placed_on = first + timedelta(days=offset)
            orders = self.orders_placed_on(placed_on)
            changed = np.flatnonzero(
                (orders.change_status != PAID) & (orders.change_ts // SECONDS_PER_DAY == day_number(day))
            )
            pieces.append(orders_table(orders, changed, orders.change_status[changed], orders.change_ts[changed]))
        today = self.orders_placed_on(day)
        every = np.arange(len(today))
        pieces.append(orders_table(today, every, np.full(len(today), PAID, np.int8), today.placed_ts))
        table = concat(pieces)
        return take(table, np.lexsort((table["order_id"].values, table["updated_at"].seconds)))


def orders_table(orders: DayOrders, rows: np.ndarray, status: np.ndarray, updated_ts: np.ndarray) -> Table:
    promo_tokens = json_tokens([*orders.promo_codes, None])  # index -1 -> null
    return {
        "order_id": Ints(orders.order_id[rows]),
        "customer_id": Ints(orders.customer_id[rows]),
        "channel": Tokens(json_tokens(CHANNELS)[orders.channel[rows]]),
        "status": Tokens(json_tokens(ORDER_STATUSES)[status]),
        "placed_at": Timestamps(orders.placed_ts[rows]),
        "updated_at": Timestamps(updated_ts),
        "subtotal_amount": Ints(orders.subtotal[rows]),
        "discount_amount": Ints(orders.discount[rows]),
        "shipping_fee": Ints(orders.shipping[rows]),
        "total_amount": Ints(orders.total[rows]),
        "promo_code": Tokens(promo_tokens[orders.promo[rows]]),
    }


def order_items_table(orders: DayOrders) -> Table:
    return {
        "order_item_id": Ints(orders.order_item_id),
        "order_id": Ints(orders.order_id[orders.item_order]),
        "product_id": Ints(orders.product_id),
        "quantity": Ints(orders.quantity),
        "unit_price": Ints(orders.unit_price),
        "created_at": Timestamps(orders.placed_ts[orders.item_order]),
    }


def customers_table(customers: Customers, rows: np.ndarray) -> Table:
    gender = customers.gender[rows]
    return {
        "customer_id": Ints(customers.customer_id[rows]),
        "signup_at": Timestamps(customers.signup_ts[rows]),
        "updated_at": Timestamps(customers.updated_ts[rows]),
        "signup_channel": Tokens(json_tokens(CHANNELS)[customers.signup_channel[rows]]),
        "region": Tokens(json_tokens(REGIONS)[customers.region[rows]]),
        "gender": Tokens(json_tokens([*GENDERS, None])[gender]),  # -1 -> null
        "birth_year": nullable_ints(customers.birth_year[rows], customers.birth_year[rows] == 0),
        "marketing_opt_in": Tokens(_BOOL[customers.marketing_opt_in[rows].astype(np.int8)]),
    }


def products_table(products: Products, rows: np.ndarray) -> Table:
    return {
        "product_id": Ints(products.product_id[rows]),
        "sku": Tokens(json_tokens(products.sku[rows].tolist())),
        "name": Tokens(json_tokens(products.name[rows].tolist())),
        "category": Tokens(json_tokens(CATEGORIES)[products.category[rows]]),
        "brand": Tokens(json_tokens(BRANDS)[products.brand[rows]]),
        "list_price": Ints(products.list_price[rows]),
        "is_active": Tokens(_BOOL[products.is_active[rows].astype(np.int8)]),
        "created_at": Timestamps(products.created_ts[rows]),
        "updated_at": Timestamps(products.updated_ts[rows]),
    }


def _hold_back_late(tables: dict[str, Table], rng: np.random.Generator, share: float):
    """Split a day's orders and items into the first delivery and the late part (the same orders)."""
    late_ids = choose_late_keys(rng, tables[ORDERS.name]["order_id"].values, share)
    on_time, late = dict(tables), {}
    for name in (ORDERS.name, ORDER_ITEMS.name):
        is_late = np.isin(tables[name]["order_id"].values, late_ids)
        on_time[name] = take(tables[name], np.flatnonzero(~is_late))
        late[name] = take(tables[name], np.flatnonzero(is_late))
    return on_time, late


def generate_shop_exports(
    store: ObjectStore, start: date, days: int, config: ShopConfig | None = None
) -> GenerationReport:
    """Write the shop exports of `days` days from `start` into `store`, in delivery order, and record their
    world in the store (generator/world_record.py) so that `python -m generator` can continue it."""
    config = config or ShopConfig()
    if days < 1:
        raise ValueError("days must be at least 1")
    world_start = config.world_start or start
    if start < world_start:
        raise ValueError(f"start {start} is before world_start {world_start}")
    began = time.perf_counter()
    shop = ShopSimulator(World(config.world_config(world_start)), config.orders_per_day)
    faults = config.faults
    last = start + timedelta(days=days - 1)
    late_day = faults.late_day_for(start, days)
    late_due = min(late_day + timedelta(days=faults.late_lag_days), last) if late_day else None
    held_back: dict[str, Table] = {}
    with Delivery(store, config.max_lines_per_file, config.compresslevel) as delivery:

        def deliver(table: str, day: date, rows: Table, late: bool) -> None:
            contract = TABLES_BY_NAME[table]
            rng = rng_for(config.seed, day, table, "late-faults" if late else "faults")
            lines = encode_lines(contract, rows)
            faulted = apply_line_faults(lines, contract, rng, faults.malformed_rate, faults.duplicate_rate)
            delivery.deliver(contract, day, faulted, late=late)

        for offset in range(days):
            day = start + timedelta(days=offset)
            tables = shop.export_tables(day)
            if day == late_day:
                tables, held_back = _hold_back_late(tables, rng_for(config.seed, day, "late"), faults.late_share)
            for table, rows in tables.items():
                deliver(table, day, rows, late=False)
            if day == late_due:
                for table, rows in held_back.items():
                    deliver(table, late_day, rows, late=True)
        files = delivery.wait()
    world = WorldRecord(
        config.seed, world_start, config.orders_per_day, config.initial_customers, config.initial_products, last
    )
    record_world(store, world)
    return GenerationReport(
        world_start=world_start,
        start=start,
        days=days,
        late_day=late_day,
        files=tuple(files),
        seconds=time.perf_counter() - began,
    )
