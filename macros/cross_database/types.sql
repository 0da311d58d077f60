{% macro hackle_type_double() -%}
    {#- An 8-byte floating point type. dbt's type_float renders `float`, which is
        8 bytes on Redshift and Postgres but 4 bytes on DuckDB. -#}
    {{ return(adapter.dispatch('hackle_type_double', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__hackle_type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__hackle_type_double() -%}
    float64
{%- endmacro %}
