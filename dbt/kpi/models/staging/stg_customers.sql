-- Every version of every customer as exported, one row per (customer_id, export_date).
select
    customer_id,
    signup_at,
    {{ cumulus.to_business_date('signup_at') }} as signup_date,
    updated_at,
    signup_channel,
    region,
    gender,
    birth_year,
    marketing_opt_in,
    _export_date as export_date,
    _source_key as source_key,
    _source_line as source_line
from {{ source('raw', 'customers') }}
