{#
  The few expressions whose SQL differs between DuckDB and Snowflake, dispatched per adapter.
  Everything else in the project is SQL both engines accept.
#}

{% macro business_timezone() -%}
    {%- set zone = var('business_timezone') | string | trim -%}
    {%- if not modules.re.fullmatch('[A-Za-z]+(/[A-Za-z0-9_+-]+)*', zone) -%}
        {{ exceptions.raise_compiler_error("var 'business_timezone' must be an IANA zone name such as Asia/Seoul, got '" ~ zone ~ "'") }}
    {%- endif -%}
    {{ return(zone) }}
{%- endmacro %}


{#- The business day (a DATE in var('business_timezone')) of an absolute instant (TIMESTAMPTZ). -#}
{% macro to_business_date(ts) -%}
    {{ return(adapter.dispatch('to_business_date', 'cumulus')(ts)) }}
{%- endmacro %}

{% macro duckdb__to_business_date(ts) -%}
    cast(timezone('{{ cumulus.business_timezone() }}', {{ ts }}) as date)
{%- endmacro %}

{% macro snowflake__to_business_date(ts) -%}
    cast(convert_timezone('{{ cumulus.business_timezone() }}', {{ ts }}) as date)
{%- endmacro %}

{% macro default__to_business_date(ts) -%}
    cast(({{ ts }} at time zone '{{ cumulus.business_timezone() }}') as date)
{%- endmacro %}


{#- Monday of the ISO week of a DATE. Snowflake's date_trunc('week') follows the WEEK_START session
    parameter, so it is avoided there. -#}
{% macro week_start(d) -%}
    {{ return(adapter.dispatch('week_start', 'cumulus')(d)) }}
{%- endmacro %}

{% macro duckdb__week_start(d) -%}
    cast(date_trunc('week', {{ d }}) as date)
{%- endmacro %}

{% macro snowflake__week_start(d) -%}
    cast(dateadd(day, 1 - dayofweekiso({{ d }}), {{ d }}) as date)
{%- endmacro %}

{% macro default__week_start(d) -%}
    cast(date_trunc('week', {{ d }}) as date)
{%- endmacro %}


{#- First day of the month of a DATE. -#}
{% macro month_start(d) -%}
    {{ return(adapter.dispatch('month_start', 'cumulus')(d)) }}
{%- endmacro %}

{% macro default__month_start(d) -%}
    cast(date_trunc('month', {{ d }}) as date)
{%- endmacro %}


{#- The first day of the day / week / month of a DATE expression. -#}
{% macro period_start(d, grain) -%}
    {%- if grain == 'day' -%}
        {{ d }}
    {%- elif grain == 'week' -%}
        {{ cumulus.week_start(d) }}
    {%- elif grain == 'month' -%}
        {{ cumulus.month_start(d) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown grain '" ~ grain ~ "' (day, week or month)") }}
    {%- endif -%}
{%- endmacro %}
