{#- The contract's map<string,string> columns. DuckDB has a real MAP type;
    every other warehouse needs its own variants in its own map shape, so the
    default stops with a message instead of guessing. -#}

{% macro hackle_maps_not_supported() -%}
    {{ exceptions.raise_compiler_error(
        "hackle_export has no map macros for the '" ~ adapter.type() ~ "' adapter yet;"
        ~ " use a DuckDB target, or add " ~ adapter.type() ~ "__ variants of the"
        ~ " macros in macros/cross_database/maps.sql"
    ) }}
{%- endmacro %}

{% macro hackle_map_type() -%}
    {{ return(adapter.dispatch('hackle_map_type', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_map_type() -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_map_type() -%}
    map(varchar, varchar)
{%- endmacro %}


{% macro hackle_map_agg(key, value, order_by) -%}
    {#- Aggregate key/value rows into one map, entries ordered by `order_by`. -#}
    {{ return(adapter.dispatch('hackle_map_agg', 'hackle_export')(key, value, order_by)) }}
{%- endmacro %}

{% macro default__hackle_map_agg(key, value, order_by) -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_map_agg(key, value, order_by) -%}
    map(list({{ key }} order by {{ order_by }}), list({{ value }} order by {{ order_by }}))
{%- endmacro %}


{% macro hackle_empty_map() -%}
    {{ return(adapter.dispatch('hackle_empty_map', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_empty_map() -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_empty_map() -%}
    cast(map() as {{ hackle_map_type() }})
{%- endmacro %}


{% macro hackle_map_keys(map) -%}
    {#- A list of the map's keys, for tests. -#}
    {{ return(adapter.dispatch('hackle_map_keys', 'hackle_export')(map)) }}
{%- endmacro %}

{% macro default__hackle_map_keys(map) -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_map_keys(map) -%}
    map_keys({{ map }})
{%- endmacro %}


{% macro hackle_map_value(map, key) -%}
    {#- The value under `key` (a SQL string literal or expression), or null. -#}
    {{ return(adapter.dispatch('hackle_map_value', 'hackle_export')(map, key)) }}
{%- endmacro %}

{% macro default__hackle_map_value(map, key) -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_map_value(map, key) -%}
    map_extract_value({{ map }}, {{ key }})
{%- endmacro %}


{% macro hackle_map_entries_join(map, alias) -%}
    {#- A lateral join yielding one row per map entry: `<alias>.entry_key`,
        `<alias>.entry_value`. For generic tests over map columns. -#}
    {{ return(adapter.dispatch('hackle_map_entries_join', 'hackle_export')(map, alias)) }}
{%- endmacro %}

{% macro default__hackle_map_entries_join(map, alias) -%}
    {{ hackle_maps_not_supported() }}
{%- endmacro %}

{% macro duckdb__hackle_map_entries_join(map, alias) -%}
    cross join lateral (
        select unnest(map_keys({{ map }})) as entry_key,
            unnest(map_values({{ map }})) as entry_value
    ) as {{ alias }}
{%- endmacro %}
