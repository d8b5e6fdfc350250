{#
  No two rows share the same values of `combination_of_columns` (the grain of the model).
  Written here because the project cannot install dbt_utils (no network at build time).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set columns_csv = combination_of_columns | join(', ') %}
select {{ columns_csv }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns_csv }}
having count(*) > 1
{% endtest %}
