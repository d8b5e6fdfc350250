{#
  Reconciliation: per value of `key`, the sum of each of `measures` over this model's rows equals the
  same measure of the `to` model (e.g. items_sold summed over categories = items_sold of the day).
  Keys present on one side only compare against 0.
#}
{% test sums_match(model, to, key, measures) %}
with this_side as (
    select {{ key }} as reconciled_key,
        {% for m in measures %}sum({{ m }}) as {{ m }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ model }}
    group by {{ key }}
),

other_side as (
    select {{ key }} as reconciled_key,
        {% for m in measures %}sum({{ m }}) as {{ m }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ to }}
    group by {{ key }}
)

select
    coalesce(this_side.reconciled_key, other_side.reconciled_key) as reconciled_key,
    {% for m in measures %}this_side.{{ m }} as {{ m }}_here, other_side.{{ m }} as {{ m }}_there{% if not loop.last %}, {% endif %}{% endfor %}
from this_side
full outer join other_side on other_side.reconciled_key = this_side.reconciled_key
where {% for m in measures %}coalesce(this_side.{{ m }}, 0) <> coalesce(other_side.{{ m }}, 0){% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
