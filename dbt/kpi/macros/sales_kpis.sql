{#
  The sales KPIs at one grain (day, week or month), computed from fct_orders. kpi_daily_sales,
  kpi_weekly_sales and kpi_monthly_sales all call this one definition, so the three cannot drift apart;
  the semantics are spelled out in docs/kpi_semantics.md and in the models' descriptions.

  Window: the periods that contain at least one day whose orders export is loaded
  (raw.orders._export_date) and that overlap [min_date - restatement_days, max_date] or contain a day
  whose numbers the exports of min_date..max_date change (macros/dependent_days.sql: a late part moves
  customers' first orders on later days). Each such period gets exactly one row, recomputed in full from
  fct_orders (buyers are distinct counts, so a week cannot be summed from days) over the orders placed
  on its loaded days.
  A loaded period without any order still gets a row, of zeros (aov and cancel_rate NULL), so that every
  recomputed period replaces its previous row.
#}
{% macro sales_kpis(grain, period_column) -%}
{%- set window = cumulus.partition_window() -%}
{%- set first_day = cumulus.period_start_of(window.restated_from, grain) -%}
{%- set last_day = cumulus.period_end_of(window.max_date, grain) -%}
with dependent_periods as (
    select distinct {{ cumulus.period_start('order_date', grain) }} as period_start
    from ({{ cumulus.days_depending_on_changed_orders() }}) as dependent_days
),

loaded_days as (
    select distinct export_date as order_date
    from {{ ref('stg_orders') }}
    where export_date between {{ cumulus.date_literal(first_day) }} and {{ cumulus.date_literal(last_day) }}
        or {{ cumulus.period_start('export_date', grain) }} in (select period_start from dependent_periods)
),

loaded_periods as (
    select distinct {{ cumulus.period_start('order_date', grain) }} as period_start
    from loaded_days
),

-- Orders placed on loaded days only, so that a period aggregates exactly the days kpi_daily_sales shows
-- (additive measures of a week or month are the sums of its days).
orders_in_scope as (
    select
        {{ cumulus.period_start('o.order_date', grain) }} as period_start,
        o.order_id,
        o.customer_id,
        o.subtotal_amount,
        o.discount_amount,
        o.items_sold,
        o.is_cancelled,
        o.is_refunded
    from {{ ref('fct_orders') }} as o
    inner join loaded_days as d on d.order_date = o.order_date
),

-- Each buyer's first counted (non-cancelled) order over all of fct_orders, not just this window.
first_counted_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from {{ ref('fct_orders') }}
    where not is_cancelled
        and customer_id in (select customer_id from orders_in_scope where not is_cancelled)
    group by customer_id
),

per_period as (
    select
        o.period_start,
        sum(case when not o.is_cancelled then o.subtotal_amount else 0 end) as gmv,
        sum(
            case
                when not o.is_cancelled and not o.is_refunded then o.subtotal_amount - o.discount_amount
                else 0
            end
        ) as net_revenue,
        count(case when not o.is_cancelled then o.order_id end) as orders,
        count(distinct case when not o.is_cancelled then o.customer_id end) as buyers,
        count(
            distinct case
                when not o.is_cancelled
                    and {{ cumulus.period_start('f.first_order_date', grain) }} = o.period_start
                    then o.customer_id
            end
        ) as new_buyers,
        sum(case when not o.is_cancelled then o.items_sold else 0 end) as items_sold,
        count(case when o.is_cancelled then o.order_id end) as cancelled_orders,
        count(*) as placed_orders
    from orders_in_scope as o
    left join first_counted_orders as f on f.customer_id = o.customer_id
    group by o.period_start
)

select
    p.period_start as {{ period_column }},
    cast(coalesce(k.gmv, 0) as bigint) as gmv,
    cast(coalesce(k.net_revenue, 0) as bigint) as net_revenue,
    cast(coalesce(k.orders, 0) as bigint) as orders,
    cast(coalesce(k.buyers, 0) as bigint) as buyers,
    cast(coalesce(k.new_buyers, 0) as bigint) as new_buyers,
    cast(round(1.0 * k.gmv / nullif(k.orders, 0), 2) as decimal(18, 2)) as aov,
    cast(coalesce(k.items_sold, 0) as bigint) as items_sold,
    cast(round(1.0 * k.cancelled_orders / nullif(k.placed_orders, 0), 4) as decimal(9, 4)) as cancel_rate
from loaded_periods as p
left join per_period as k on k.period_start = p.period_start
{%- endmacro %}
