{{ config(unique_key='customer_id') }}

-- One row per customer, in its newest version: the customers touched by the exports of the window,
-- each taken in its newest version across all exports loaded so far.

with touched_customers as (
    select customer_id from {{ ref('stg_customers') }}
    where {{ cumulus.in_export_window('export_date') }}
)

select
    customer_id,
    signup_at,
    signup_date,
    signup_channel,
    region,
    gender,
    birth_year,
    marketing_opt_in,
    updated_at
from {{ ref('stg_customers') }}
where customer_id in (select customer_id from touched_customers)
qualify row_number() over (
    partition by customer_id order by updated_at desc, export_date desc
) = 1
