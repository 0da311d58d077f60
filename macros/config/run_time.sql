{% macro hackle_run_started_at() -%}
    {#- The run's start as a UTC timestamp literal: the same instant in every model
        of one run. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
