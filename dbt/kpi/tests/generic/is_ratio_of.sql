{#
  KPI invariant: column = numerator / denominator within `tolerance` (the column is rounded), and the
  column is NULL exactly when the denominator is 0 (e.g. aov = gmv / orders, NULL without orders).
#}
{% test is_ratio_of(model, column_name, numerator, denominator, tolerance=0.01) %}
select *
from {{ model }}
where ({{ denominator }} = 0 and {{ column_name }} is not null)
    or (
        {{ denominator }} <> 0
        and (
            {{ column_name }} is null
            or abs({{ column_name }} - 1.0 * {{ numerator }} / {{ denominator }}) > {{ tolerance }}
        )
    )
{% endtest %}
