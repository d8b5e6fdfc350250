{{ config(unique_key='order_date') }}

-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('stg_orders') }}
-- depends_on: {{ ref('stg_order_items') }}

-- Sales KPIs per Asia/Seoul business day of placement; definitions in macros/sales_kpis.sql and
-- docs/kpi_semantics.md. Recomputes the loaded days in [min_date - restatement_days, max_date] and those
-- whose numbers the exports of min_date..max_date change (macros/dependent_days.sql).
{{ cumulus.sales_kpis(grain='day', period_column='order_date') }}
