{{ config(unique_key='month_start') }}

-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('stg_orders') }}
-- depends_on: {{ ref('stg_order_items') }}

-- Sales KPIs per calendar month (Asia/Seoul business days), recomputed from fct_orders (not summed
-- from days: buyers are distinct counts). Recomputes the months overlapping
-- [min_date - restatement_days, max_date] or holding a day the month's exports change, that contain a
-- loaded export day.
{{ cumulus.sales_kpis(grain='month', period_column='month_start') }}
