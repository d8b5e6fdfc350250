{{ config(unique_key='product_id') }}

-- One row per product, in its newest version: the products touched by the exports of the window, each
-- taken in its newest version across all exports loaded so far.

{{ cumulus.newest_versions_touched_in_window(
    ref('stg_products'), 'product_id',
    ['product_id', 'sku', 'name', 'category', 'brand', 'list_price', 'is_active', 'created_at', 'updated_at']
) }}
