{#- Incremental by day. Each run rebuilds every partition day from `lookback_days`
    before the newest day already in the model, so late events land in their own
    day, and replaces those days whole: rows that changed or were withdrawn since
    the last run do not survive. The model's query filters with
    `hackle_window_filter(column, this)`; the `hackle_replace_days` strategy deletes
    the same window from the model before inserting the new rows. -#}

{% macro hackle_incremental_strategy() -%}
    {{ return(adapter.dispatch('hackle_incremental_strategy', 'hackle_export')()) }}
{%- endmacro %}

{% macro default__hackle_incremental_strategy() -%}
    {{ return('hackle_replace_days') }}
{%- endmacro %}


{% macro hackle_window_start_day(column, relation) -%}
    {#- The first partition day to rebuild, from the newest one in `relation`. -#}
    {%- set newest_day -%}
        {%- if column == 'dt' -%} max(dt) {%- else -%} {{ hackle_partition_date('max(' ~ column ~ ')') }} {%- endif -%}
    {%- endset -%}
    (
        select coalesce(
            cast({{ dbt.dateadd('day', -1 * var('lookback_days'), newest_day) }} as date),
            cast('0001-01-01' as date)
        )
        from {{ relation }}
    )
{%- endmacro %}


{% macro hackle_window_filter(column, relation) -%}
    {#- True for rows inside the rebuild window. `column` is `dt` (a partition day)
        or a UTC timestamp column. -#}
    {%- if column == 'dt' -%}
        dt >= {{ hackle_window_start_day(column, relation) }}
    {%- else -%}
        {{ column }} >= {{ hackle_partition_day_start(hackle_window_start_day(column, relation)) }}
    {%- endif -%}
{%- endmacro %}


{% macro get_incremental_hackle_replace_days_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set column = config.get('hackle_window_column') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "Model " ~ model.name ~ " uses the hackle_replace_days strategy but sets no"
            ~ " hackle_window_column; add it to the model's config."
        ) }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    where {{ hackle_window_filter(column, target) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{%- endmacro %}
