{#- Incremental by day. Each run rebuilds every partition day from `lookback_days`
    before the newest day already in the model, every older day that has received
    rows since then, so late events land in their own day, and every older day that
    holds a copy of an event received since then, so that the copy that wins is the
    same as in a full build; it replaces those days whole: rows that changed or were
    withdrawn since the last run do not survive. The model's query filters with
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
    {#- True for rows of the days to rebuild: every day from the window's first day
        on, and every older day that received a row since that day began (a late
        event, or a late copy of one) or holds a copy of an event received since
        then, so that it is rebuilt whole. Rows counted under no day (no time at
        all) are rebuilt on every run. `column` is `dt` (a partition day) or a UTC
        timestamp column. -#}
    {%- set first_day = hackle_window_start_day(column, relation) -%}
    {%- set late_days -%}
        select distinct late.dt
        from {{ ref('int_events__validated') }} as late
        where late.dt is not null
            and late.insert_id in (
                select received.insert_id
                from {{ ref('int_events__validated') }} as received
                where received.received_at
                    >= {{ hackle_partition_day_start(first_day) }}
            )
    {%- endset -%}
    {%- if column == 'dt' -%}
        (dt >= {{ first_day }} or dt is null or dt in ({{ late_days }}))
    {%- else -%}
        (
            {{ column }} >= {{ hackle_partition_day_start(first_day) }}
            or {{ hackle_partition_date(column) }} in ({{ late_days }})
        )
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
