{#
  KPI invariant: the column is never greater than `other_column` on the same row
  (net_revenue <= gmv, new_buyers <= buyers, buyers <= orders). NULL on either side passes.
#}
{% test not_greater_than(model, column_name, other_column) %}
select *
from {{ model }}
where {{ column_name }} > {{ other_column }}
{% endtest %}
