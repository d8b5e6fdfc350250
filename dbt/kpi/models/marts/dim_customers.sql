{{ config(unique_key='customer_id') }}

-- One row per customer, in its newest version: the customers touched by the exports of the window,
-- each taken in its newest version across all exports loaded so far.

{{ cumulus.newest_versions_touched_in_window(
    ref('stg_customers'), 'customer_id',
    ['customer_id', 'signup_at', 'signup_date', 'signup_channel', 'region', 'gender', 'birth_year',
     'marketing_opt_in', 'updated_at']
) }}
