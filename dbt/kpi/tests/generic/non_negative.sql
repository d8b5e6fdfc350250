{#
  KPI invariant: none of `columns` is negative. Money, counts and rates are all >= 0 by definition;
  a negative value means an upstream amount broke its contract (e.g. discount above subtotal).
  NULL passes (aov and cancel_rate are NULL for periods without orders).
#}
{% test non_negative(model, columns) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
