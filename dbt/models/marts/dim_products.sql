{{ config(unique_key='product_id') }}

-- One row per product, in its newest version: the products touched by the exports of the window, each
-- taken in its newest version across all exports loaded so far.

with touched_products as (
    select product_id from {{ ref('stg_products') }}
    where {{ cumulus.in_export_window('export_date') }}
)

select
    product_id,
    sku,
    name,
    category,
    brand,
    list_price,
    is_active,
    created_at,
    updated_at
from {{ ref('stg_products') }}
where product_id in (select product_id from touched_products)
qualify row_number() over (
    partition by product_id order by updated_at desc, export_date desc
) = 1
