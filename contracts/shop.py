"""Service-database exports of the shop: what lands under `shop/<table>/dt=YYYY-MM-DD/part-*.jsonl.gz`.

Each export file of day `dt` (the Asia/Seoul business day) holds the rows *created or changed* on that
day (change-data-capture style); the first export of a table is a full dump. A row may therefore appear
again in a later day's file with a newer `updated_at` (an order cancelled or refunded after the day it
was placed): the newest version wins. Money is in whole Korean won (KRW, no minor unit).
"""

from __future__ import annotations

from contracts.schema import Field, TableContract

SOURCE = "shop"

ORDER_STATUSES = ("paid", "cancelled", "refunded")
CHANNELS = ("web", "app")

ORDERS = TableContract(
    source=SOURCE,
    name="orders",
    description="One row per order version; a status change produces a new version in that day's export.",
    primary_key=("order_id",),
    version_field="updated_at",
    fields=(
        Field("order_id", "bigint", "Order identifier, unique across the shop."),
        Field("customer_id", "bigint", "The buying customer (customers.customer_id)."),
        Field("channel", "varchar", "Where the order was placed.", allowed=CHANNELS),
        Field(
            "status",
            "varchar",
            "paid at placement; cancelled (before shipping, within a day) or refunded (after delivery, "
            "within 7 days) later.",
            allowed=ORDER_STATUSES,
        ),
        Field("placed_at", "timestamptz", "When the customer placed the order."),
        Field("updated_at", "timestamptz", "When this version of the order was written."),
        Field("subtotal_amount", "bigint", "Sum of quantity x unit_price over the order's items.", min_value=0),
        Field("discount_amount", "bigint", "Order-level discount (promotion or coupon).", min_value=0),
        Field("shipping_fee", "bigint", "Shipping charged to the customer.", min_value=0),
        Field(
            "total_amount",
            "bigint",
            "What the customer paid: subtotal - discount + shipping.",
            min_value=0,
        ),
        Field("promo_code", "varchar", "Promotion applied, if any.", required=False),
    ),
)

ORDER_ITEMS = TableContract(
    source=SOURCE,
    name="order_items",
    description="One row per line of an order; written once, when the order is placed.",
    primary_key=("order_item_id",),
    version_field="created_at",
    fields=(
        Field("order_item_id", "bigint", "Order line identifier."),
        Field("order_id", "bigint", "The order (orders.order_id)."),
        Field("product_id", "bigint", "The product (products.product_id)."),
        Field("quantity", "integer", "Units bought.", min_value=1),
        Field("unit_price", "bigint", "Price of one unit at the time of the order.", min_value=0),
        Field("created_at", "timestamptz", "When the line was written (the order's placement)."),
    ),
)

CUSTOMERS = TableContract(
    source=SOURCE,
    name="customers",
    description="One row per customer version; the first export is a full dump, later ones carry changes.",
    primary_key=("customer_id",),
    version_field="updated_at",
    fields=(
        Field("customer_id", "bigint", "Customer identifier."),
        Field("signup_at", "timestamptz", "When the customer registered."),
        Field("updated_at", "timestamptz", "When this version of the customer was written."),
        Field("signup_channel", "varchar", "Where the customer registered.", allowed=CHANNELS),
        Field("region", "varchar", "Province or metropolitan city of the delivery address."),
        Field("gender", "varchar", "Self-declared gender.", required=False, allowed=("F", "M", "U")),
        Field("birth_year", "integer", "Self-declared birth year.", required=False, min_value=1900),
        Field("marketing_opt_in", "boolean", "Whether the customer accepts marketing messages."),
    ),
)

PRODUCTS = TableContract(
    source=SOURCE,
    name="products",
    description="One row per product version; the first export is a full dump, later ones carry changes.",
    primary_key=("product_id",),
    version_field="updated_at",
    fields=(
        Field("product_id", "bigint", "Product identifier."),
        Field("sku", "varchar", "Stock-keeping unit code."),
        Field("name", "varchar", "Display name."),
        Field("category", "varchar", "Top-level category (e.g. outerwear, shoes)."),
        Field("brand", "varchar", "Brand name."),
        Field("list_price", "bigint", "Current list price in KRW.", min_value=0),
        Field("is_active", "boolean", "Whether the product is on sale."),
        Field("created_at", "timestamptz", "When the product was created."),
        Field("updated_at", "timestamptz", "When this version of the product was written."),
    ),
)

SHOP_TABLES: tuple[TableContract, ...] = (ORDERS, ORDER_ITEMS, CUSTOMERS, PRODUCTS)
TABLES_BY_NAME = {t.name: t for t in SHOP_TABLES}


def export_prefix(table: str) -> str:
    """The object-store prefix under which a table's daily exports land."""
    return f"{SOURCE}/{table}/"


def export_partition_prefix(table: str, day: str) -> str:
    """The prefix of one day's export files, e.g. `shop/orders/dt=2026-11-03/`."""
    return f"{export_prefix(table)}dt={day}/"


def export_file_key(table: str, day: str, part: int) -> str:
    return f"{export_partition_prefix(table, day)}part-{part:04d}.jsonl.gz"
