{#- metric_value is DECIMAL(24,6): at most 18 digits before the point. -#}

{% macro hackle_metric_is_valid(metric) -%}
    {#- True when the metric is absent (exported as 0) or a finite number that
        fits DECIMAL(24,6) once rounded to six places. -#}
    (
        {{ metric }} is null
        or ({{ hackle_is_finite(metric) }} and abs({{ metric }}) < 1e18)
    )
{%- endmacro %}


{% macro hackle_metric_value(metric) -%}
    {#- The exported metric: 0 when absent, else rounded to six places. Only
        called on rows whose metric is valid, so the cast cannot fail. -#}
    cast(coalesce(round({{ metric }}, 6), 0) as {{ hackle_type_metric() }})
{%- endmacro %}


{% macro hackle_type_metric() -%}
    {{ return(adapter.dispatch('hackle_type_metric', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_type_metric() -%}
    decimal(24, 6)
{%- endmacro %}


{% macro hackle_is_finite(x) -%}
    {{ return(adapter.dispatch('hackle_is_finite', 'hackle_export')(x)) }}
{%- endmacro %}

{% macro default__hackle_is_finite(x) -%}
    {{ x }} not in (
        cast('NaN' as {{ hackle_type_double() }}),
        cast('Infinity' as {{ hackle_type_double() }}),
        cast('-Infinity' as {{ hackle_type_double() }})
    )
{%- endmacro %}

{% macro duckdb__hackle_is_finite(x) -%}
    isfinite({{ x }})
{%- endmacro %}
