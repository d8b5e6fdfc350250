{#
  KPI invariant: min_value <= column <= max_value (e.g. 0 <= cancel_rate <= 1). NULL passes.
#}
{% test within_range(model, column_name, min_value, max_value) %}
select *
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
