{#
  The placement days whose KPIs the exports of this run's window (min_date..max_date) can change, beyond
  the restatement window: a late part or a re-run of an old export day changes numbers on later days too
  (a customer's first order moves, so their later days gain or lose a new buyer; a product version
  applies to every line placed after it). Each macro is a self-contained SELECT of one column,
  order_date; the KPI models recompute those days (or their weeks and months) in full.
  In a daily run in date order these are days of the window itself, so nothing more is recomputed.
#}

{#- The ids of the orders with a row (order or line) in the exports of the window (fct_orders rebuilds these). -#}
{% macro orders_touched_in_window() -%}
select order_id from {{ ref('stg_orders') }}
where {{ cumulus.in_export_window('export_date') }}
union
select order_id from {{ ref('stg_order_items') }}
where {{ cumulus.in_export_window('export_date') }}
{%- endmacro %}


{#- Every version of every order with a row (order or line) in the exports of the window. -#}
{% macro orders_changed_in_window() -%}
select order_id, customer_id, order_date
from {{ ref('stg_orders') }}
where order_id in (
    {{ cumulus.orders_touched_in_window() }}
)
{%- endmacro %}


{#- Days of the sales KPIs: the placement days of the changed orders, and every day on which one of their
    customers placed an order on or after their earliest changed order (new_buyers of those days depends
    on the customer's first counted order, which the change can move). -#}
{% macro days_depending_on_changed_orders() -%}
with changed_orders as (
    {{ cumulus.orders_changed_in_window() }}
),

changed_customers as (
    select customer_id, min(order_date) as from_date
    from changed_orders
    group by customer_id
)

select order_date from changed_orders
union
select o.order_date
from {{ ref('fct_orders') }} as o
inner join changed_customers as c on c.customer_id = o.customer_id and o.order_date >= c.from_date
{%- endmacro %}


{#- Days of the category split: the placement days of the changed orders, and the days with a line of a
    product that has a version in the exports of the window, placed at or after that version's
    updated_at (or at any time if it is the product's earliest version, which also applies to lines
    placed before it: see docs/kpi_semantics.md). -#}
{% macro days_depending_on_changed_products() -%}
with changed_products as (
    select product_id, min(updated_at) as first_changed_at
    from {{ ref('stg_products') }}
    where {{ cumulus.in_export_window('export_date') }}
    group by product_id
),

earliest_versions as (
    select product_id, min(updated_at) as earliest_at
    from {{ ref('stg_products') }}
    where product_id in (select product_id from changed_products)
    group by product_id
),

lines_placed_under_changed_versions as (
    select o.order_date
    from {{ ref('stg_order_items') }} as i
    inner join changed_products as c on c.product_id = i.product_id
    inner join earliest_versions as e on e.product_id = i.product_id
    inner join {{ ref('fct_orders') }} as o on o.order_id = i.order_id
    where o.placed_at >= c.first_changed_at or c.first_changed_at = e.earliest_at
)

select order_date from lines_placed_under_changed_versions
union
select order_date from ({{ cumulus.orders_changed_in_window() }}) as changed_orders
{%- endmacro %}
