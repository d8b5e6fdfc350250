-- Every version of every product as exported, one row per (product_id, updated_at) per export day.
select
    product_id,
    sku,
    name,
    category,
    brand,
    list_price,
    is_active,
    created_at,
    updated_at,
    _export_date as export_date,
    _source_key as source_key,
    _source_line as source_line
from {{ source('raw', 'products') }}
