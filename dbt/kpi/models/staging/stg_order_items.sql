-- Every order line as exported (lines are written once, in the export of the order's placement day).
select
    order_item_id,
    order_id,
    product_id,
    quantity,
    unit_price,
    created_at,
    _export_date as export_date,
    _source_key as source_key,
    _source_line as source_line
from {{ source('raw', 'order_items') }}
