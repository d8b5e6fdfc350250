{#
  The partition window Dagster passes as vars, validated once and turned into dates here, so that every
  value that reaches SQL is a checked date literal (never raw text from outside).

  min_date / max_date: inclusive export days, YYYY-MM-DD (a YAML date such as {min_date: 2026-11-01}
  arrives as a date object and is accepted too). Date arithmetic on them happens in Jinja, which keeps the
  SQL the same on DuckDB and Snowflake.
#}

{% macro window_date_var(name) -%}
    {%- set text = var(name) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be a date written YYYY-MM-DD, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat(text)) }}
{%- endmacro %}


{% macro restatement_days() -%}
    {%- set text = var('restatement_days') | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{1,3}', text) -%}
        {{ exceptions.raise_compiler_error("var 'restatement_days' must be a whole number of days >= 0, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{#- The window of this run: min_date, max_date and restated_from = min_date - restatement_days. -#}
{% macro partition_window() -%}
    {%- set min_date = cumulus.window_date_var('min_date') -%}
    {%- set max_date = cumulus.window_date_var('max_date') -%}
    {%- if min_date > max_date -%}
        {{ exceptions.raise_compiler_error("min_date " ~ min_date ~ " is after max_date " ~ max_date) }}
    {%- endif -%}
    {%- set restated_from = min_date - modules.datetime.timedelta(days=cumulus.restatement_days()) -%}
    {{ return({'min_date': min_date, 'max_date': max_date, 'restated_from': restated_from}) }}
{%- endmacro %}


{#- First day of the day / ISO week (Monday) / month that contains the date `d`. -#}
{% macro period_start_of(d, grain) -%}
    {%- if grain == 'day' -%}
        {{ return(d) }}
    {%- elif grain == 'week' -%}
        {{ return(d - modules.datetime.timedelta(days=d.weekday())) }}
    {%- elif grain == 'month' -%}
        {{ return(d.replace(day=1)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown grain '" ~ grain ~ "' (day, week or month)") }}
    {%- endif -%}
{%- endmacro %}


{#- Last day of the day / week / month that contains the date `d`. -#}
{% macro period_end_of(d, grain) -%}
    {%- set start = cumulus.period_start_of(d, grain) -%}
    {%- if grain == 'day' -%}
        {{ return(start) }}
    {%- elif grain == 'week' -%}
        {{ return(start + modules.datetime.timedelta(days=6)) }}
    {%- else -%}
        {%- set next_month = (start.replace(day=28) + modules.datetime.timedelta(days=4)).replace(day=1) -%}
        {{ return(next_month - modules.datetime.timedelta(days=1)) }}
    {%- endif -%}
{%- endmacro %}


{% macro date_literal(d) -%}
    cast('{{ d.isoformat() }}' as date)
{%- endmacro %}


{#- `column between min_date and max_date`: the export days this run was asked to process. -#}
{% macro in_export_window(column) -%}
    {%- set window = cumulus.partition_window() -%}
    {{ column }} between {{ cumulus.date_literal(window.min_date) }} and {{ cumulus.date_literal(window.max_date) }}
{%- endmacro %}
