{#- metric_value is DECIMAL(24,6). Staging models hand over the source's metric as
    text (`metric_text`): a double's shortest round-trip text, a decimal's exact
    digits. It is read as an exact decimal and rounded half away from zero to six
    places, so every warehouse gives the same value and no double arithmetic
    touches it. -#}

{% macro hackle_metric_exact(metric_text) -%}
    {#- The metric as an exact decimal, or null when the text is not a finite
        number that fits (NaN, Infinity, 1e19 and words all give null). -#}
    {{ hackle_decimal_from_text('trim(' ~ metric_text ~ ')', hackle_type_metric_exact()) }}
{%- endmacro %}


{% macro hackle_metric_is_valid(metric_text) -%}
    {#- True when the event has no metric (exported as 0) or one that rounds to a
        value DECIMAL(24,6) holds: at most 18 digits before the point. -#}
    (
        {{ hackle_is_blank(metric_text) }}
        or coalesce(
            abs(round({{ hackle_metric_exact(metric_text) }}, 6))
                < cast('1000000000000000000' as {{ hackle_type_metric_exact() }}),
            false
        )
    )
{%- endmacro %}


{% macro hackle_metric_value(metric_text) -%}
    {#- The exported metric: 0 when absent, else rounded to six places. Only
        called on rows whose metric is valid, so the cast cannot fail. -#}
    cast(
        coalesce(round({{ hackle_metric_exact(metric_text) }}, 6), 0)
        as {{ hackle_type_metric() }}
    )
{%- endmacro %}


{% macro hackle_type_metric() -%}
    {{ return(adapter.dispatch('hackle_type_metric', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_type_metric() -%}
    decimal(24, 6)
{%- endmacro %}


{% macro hackle_type_metric_exact() -%}
    {#- Wide enough for any metric that can be exported (20 digits before the
        point) and for the digits a double's shortest text carries after it. -#}
    {{ return(adapter.dispatch('hackle_type_metric_exact', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_type_metric_exact() -%}
    decimal(38, 18)
{%- endmacro %}


{% macro hackle_decimal_from_text(text, decimal_type) -%}
    {#- The text read as an exact decimal, or null when it is not a number that
        fits the type. -#}
    {{ return(adapter.dispatch('hackle_decimal_from_text', 'hackle_export')(text, decimal_type)) }}
{%- endmacro %}

{% macro default__hackle_decimal_from_text(text, decimal_type) -%}
    {#- Without a non-failing cast, read only plain decimal and exponent notation. -#}
    case
        when {{ text }} ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$'
            then cast({{ text }} as {{ decimal_type }})
    end
{%- endmacro %}

{% macro duckdb__hackle_decimal_from_text(text, decimal_type) -%}
    try_cast({{ text }} as {{ decimal_type }})
{%- endmacro %}


{% macro hackle_mapping_names_metric_properties() -%}
    {#- True when the event-mapping seed names a metric property for an enabled
        source kind (or for every kind), so that int_events__mapped must read the
        events' properties; true as well where it cannot tell (at parse time, in unit
        tests, before the seed is loaded). -#}
    {%- set mapping = ref('hackle_event_mapping') -%}
    {%- if not execute or model.resource_type == 'unit_test' or adapter.get_relation(
        database=mapping.database, schema=mapping.schema, identifier=mapping.identifier
    ) is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        select count(*)
        from {{ mapping }}
        where source_kind in ('{{ (var('sources') + ['*']) | join("', '") }}')
            and not {{ hackle_is_blank('metric_property') }}
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0] > 0) }}
{%- endmacro %}
