{{ config(unique_key='order_id') }}

-- One row per order, in its newest version. A run processes the orders touched by the exports of its
-- window (min_date..max_date) and takes, for those orders, the newest version across ALL exports loaded
-- so far, so re-running an old partition never regresses an order to an older status.

with touched_orders as (
    {{ cumulus.orders_touched_in_window() }}
),

latest_orders as (
    select *
    from {{ ref('stg_orders') }}
    where order_id in (select order_id from touched_orders)
    qualify row_number() over (
        partition by order_id order by updated_at desc, export_date desc
    ) = 1
),

latest_items as (
    select *
    from {{ ref('stg_order_items') }}
    where order_id in (select order_id from touched_orders)
    qualify row_number() over (
        partition by order_item_id order by created_at desc, export_date desc
    ) = 1
),

items_per_order as (
    select
        order_id,
        sum(quantity) as items_sold,
        count(*) as item_lines
    from latest_items
    group by order_id
)

select
    o.order_id,
    o.customer_id,
    o.channel,
    o.status,
    o.placed_at,
    o.order_date,
    o.updated_at,
    o.subtotal_amount,
    o.discount_amount,
    o.shipping_fee,
    o.total_amount,
    o.promo_code,
    cast(coalesce(i.items_sold, 0) as bigint) as items_sold,
    cast(coalesce(i.item_lines, 0) as bigint) as item_lines,
    o.status = 'cancelled' as is_cancelled,
    o.status = 'refunded' as is_refunded
from latest_orders as o
left join items_per_order as i on i.order_id = o.order_id
