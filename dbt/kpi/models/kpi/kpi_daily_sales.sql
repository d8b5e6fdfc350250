{{ config(unique_key='order_date') }}

-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('stg_orders') }}

-- Sales KPIs per Asia/Seoul business day of placement; definitions in macros/sales_kpis.sql and
-- docs/kpi_semantics.md. Recomputes the loaded days in [min_date - restatement_days, max_date].
{{ cumulus.sales_kpis(grain='day', period_column='order_date') }}
