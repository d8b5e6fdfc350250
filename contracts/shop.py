"""Service-database exports of the shop: what lands under `shop/<table>/dt=YYYY-MM-DD/part-*.jsonl.gz`.

Each export file of day `dt` (the Asia/Seoul business day) holds the rows *created or changed* on that
day (change-data-capture style); the first export of a table is a full dump. A row may therefore appear
again in a later day's file with a newer `updated_at` (an order cancelled or refunded after the day it
was placed): the newest version wins. Money is in whole Korean won (KRW, no minor unit).
"""

from __future__ import annotations

from contracts.layout import DailyFolderLayout
from contracts.registry import SourceContract
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
    keeps_versions=True,  # orders are matched to the product version in effect when they were placed
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


# The business day of `dt` is the Asia/Seoul one (the module docstring), so is the partition's.
EXPORT_LAYOUT = DailyFolderLayout(root=f"{SOURCE}/", suffix=".jsonl.gz", timezone="Asia/Seoul", entity_kind="table")


def export_prefix(table: str) -> str:
    """The object-store prefix under which a table's daily exports land."""
    return EXPORT_LAYOUT.entity_prefix(table)


def export_partition_prefix(table: str, day: str) -> str:
    """The prefix of one day's export files, e.g. `shop/orders/dt=2026-11-03/`."""
    return EXPORT_LAYOUT.partition_prefix(table, day)


def export_file_key(table: str, day: str, part: int) -> str:
    return EXPORT_LAYOUT.example_key(table, day, part)


_DELIVERY = f"""\
## Landing layout and cadence

- Where: an S3 bucket in the cloud, the same keys under the local lake folder locally.
- Key: `{EXPORT_LAYOUT.pattern}`, e.g. `{export_file_key(ORDERS.name, "2026-11-03", 0)}`.
- Format: gzip-compressed JSON lines (UTF-8), one object per line, keys in the field order below. A field
  that is not required is written as `null` when unknown.
- Cadence: one export per table per business day (Asia/Seoul), delivered after midnight KST. Every day has a
  `part-0000`, even when it holds no rows; a large day is split into `part-0000`, `part-0001`, ...
- Timestamps: ISO-8601 with the offset, e.g. `2026-11-03T14:05:09+09:00`. Money: whole Korean won (KRW).

### Versions: change-data capture

- The file of day `dt` holds the rows created or changed on `dt` (the business day of the change). The first
  export of `customers` and `products` is a full dump; later ones carry new and changed rows only.
- A key can appear in several files, and twice in one file (an order placed and cancelled on the same
  day): among the versions of a key, the one with the greatest version field is the current one. The raw
  tables keep the latest version per key and export day, except `products`, which keeps every version (an
  order line takes the product version in effect when it was placed: docs/kpi_semantics.md).
- Deliveries are at-least-once: the same line can appear twice. Drop exact duplicates.

### Restatement window: 7 days

An order changes status at most 7 days after it was placed (cancelled within 24 hours, refunded 2-7 days
after placement). The order figures of day D are therefore final once the exports up to D+7 (and any late part
of an earlier day) have landed, and loading the export of day E restates the days E-7..E and every later day
its rows change (a customer's first order, a product's version: docs/kpi_semantics.md).

### Late parts

A part of a past day can arrive days later (for example `part-0001` of day D, delivered after the files of
D+2). It adds rows that were missing from the first delivery and never replaces an earlier part: watch the
bucket by last-modified time, not by partition, and reload the partition it belongs to.
"""

# Registers the shop with contracts/registry.py: `python -m contracts.docs` writes docs/shop_exports.md.
SHOP_SOURCE = SourceContract(
    name=SOURCE,
    title="Shop service-database exports",
    overview=(__doc__ or "").strip(),
    delivery=_DELIVERY,
    tables=SHOP_TABLES,
    declared_in="contracts/shop.py",
    layout=EXPORT_LAYOUT,
    doc_name="shop_exports.md",
)
