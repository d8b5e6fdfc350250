{#
  Custom schemas are used verbatim (`staging`, `marts`, `kpi`), not prefixed with the target schema as
  dbt does by default, so that Dagster, the dashboard and people find the same names on every engine.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
