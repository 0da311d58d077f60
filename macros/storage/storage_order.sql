{#- The order a model stores its rows in, where the warehouse keeps the order rows
    were inserted in and readers gain from it. DuckDB keeps it: hackle_events
    stored in ts, insert_id order lets the exporter stream a day with a plain scan
    instead of sorting it, in memory that does not grow with the day. Elsewhere it
    renders nothing: BigQuery clusters and Redshift sorts by their own settings,
    and the exporter orders those days in its query. -#}

{% macro hackle_storage_order(columns) -%}
    {{ return(adapter.dispatch('hackle_storage_order', 'hackle_export')(columns)) }}
{%- endmacro %}

{% macro default__hackle_storage_order(columns) -%}
{%- endmacro %}

{% macro duckdb__hackle_storage_order(columns) -%}
    order by {{ columns | join(', ') }}
{%- endmacro %}
