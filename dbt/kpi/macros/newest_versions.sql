{#
  The rows of `relation` whose `key` was touched by an export of this run's window, each in its newest
  version across ALL exports loaded so far (not only the window), so that re-running an old partition
  never brings back an older version. Shared by the dimension models.
#}
{% macro newest_versions_touched_in_window(relation, key, columns) -%}
with touched as (
    select {{ key }} from {{ relation }}
    where {{ cumulus.in_export_window('export_date') }}
)

select
    {{ columns | join(',\n    ') }}
from {{ relation }}
where {{ key }} in (select {{ key }} from touched)
qualify row_number() over (
    partition by {{ key }} order by updated_at desc, export_date desc
) = 1
{%- endmacro %}
