{{ config(unique_key='week_start') }}

-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('stg_orders') }}
-- depends_on: {{ ref('stg_order_items') }}

-- Sales KPIs per ISO week (Monday..Sunday, Asia/Seoul business days), recomputed from fct_orders (not
-- summed from days: buyers are distinct counts). Recomputes the weeks overlapping
-- [min_date - restatement_days, max_date] or holding a day the week's exports change, that contain a
-- loaded export day.
{{ cumulus.sales_kpis(grain='week', period_column='week_start') }}
