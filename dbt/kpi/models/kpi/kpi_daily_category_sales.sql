{#
  unique_key is order_date although the grain is (order_date, category): with delete+insert a run
  replaces every row of each day it recomputes, so a (day, category) row can never outlive the data that
  produced it. The grain itself is tested by unique_combination_of_columns.
#}
{{ config(unique_key='order_date') }}

-- Sales per Asia/Seoul business day of placement and product category. Recomputes the loaded days in
-- [min_date - restatement_days, max_date] and the loaded days whose lines the exports of
-- min_date..max_date change (changed orders, lines placed under a changed product version).
{%- set window = cumulus.partition_window() %}

with loaded_days as (
    select distinct export_date as order_date
    from {{ ref('stg_orders') }}
    where export_date between {{ cumulus.date_literal(window.restated_from) }}
            and {{ cumulus.date_literal(window.max_date) }}
        or export_date in (select order_date from ({{ cumulus.days_depending_on_changed_products() }}) as d)
),

orders_in_scope as (
    select o.order_id, o.customer_id, o.order_date, o.placed_at, o.is_cancelled
    from {{ ref('fct_orders') }} as o
    inner join loaded_days as d on d.order_date = o.order_date
),

items as (
    select i.order_item_id, i.order_id, i.product_id, i.quantity, i.unit_price
    from {{ ref('stg_order_items') }} as i
    where i.order_id in (select order_id from orders_in_scope)
    qualify row_number() over (
        partition by i.order_item_id order by i.created_at desc, i.export_date desc
    ) = 1
),

-- The category of the product version in effect when the order was placed: among every exported
-- version (several a day included), the one with the greatest updated_at <= placed_at, else (a product
-- first exported after the order) its earliest version; equal updated_at: the later export, file and
-- line. History therefore does not move when a product is re-categorised later.
item_categories as (
    select
        i.order_item_id,
        coalesce(p.category, 'unknown') as category
    from items as i
    inner join orders_in_scope as o on o.order_id = i.order_id
    left join {{ ref('stg_products') }} as p on p.product_id = i.product_id
    qualify row_number() over (
        partition by i.order_item_id
        order by
            case when p.updated_at <= o.placed_at then 0 else 1 end,
            case when p.updated_at <= o.placed_at then p.updated_at end desc nulls last,
            p.updated_at asc,
            p.export_date desc,
            p.source_key desc,
            p.source_line desc
    ) = 1
)

-- A row for every category with at least one item placed that day, cancelled orders included, so that
-- every recomputed day replaces all its previous rows; measures count only the day's counted
-- (non-cancelled) orders and may all be 0.
select
    o.order_date,
    c.category,
    cast(sum(case when not o.is_cancelled then i.quantity * i.unit_price else 0 end) as bigint) as gmv,
    cast(sum(case when not o.is_cancelled then i.quantity else 0 end) as bigint) as items_sold,
    count(distinct case when not o.is_cancelled then o.order_id end) as orders,
    count(distinct case when not o.is_cancelled then o.customer_id end) as buyers
from items as i
inner join orders_in_scope as o on o.order_id = i.order_id
inner join item_categories as c on c.order_item_id = i.order_item_id
group by o.order_date, c.category
