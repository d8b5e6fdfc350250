-- Every version of every order as exported, one row per (order_id, export_date), with the business day
-- of placement. Versions are resolved in fct_orders.
select
    order_id,
    customer_id,
    channel,
    status,
    placed_at,
    {{ cumulus.to_business_date('placed_at') }} as order_date,
    updated_at,
    subtotal_amount,
    discount_amount,
    shipping_fee,
    total_amount,
    promo_code,
    _export_date as export_date,
    _source_key as source_key,
    _source_line as source_line
from {{ source('raw', 'orders') }}
