{#- GA4 / Firebase exports a property to BigQuery as one dataset holding a table per
    date in the property's time zone: `events_YYYYMMDD` once the date is final,
    `events_intraday_YYYYMMDD` while it is still streaming. The models find the
    tables by listing the dataset; every choice of which tables to read is made in
    ga4_shards, so that a BigQuery variant can turn it into a `_TABLE_SUFFIX`
    filter over the `events_*` wildcard in one place. -#}

{% macro ga4_dataset_relation() -%}
    {{ return(api.Relation.create(
        database=var('ga4_database') or target.database,
        schema=var('ga4_schema')
    )) }}
{%- endmacro %}


{% macro ga4_dataset_shards() -%}
    {#- Every date table of the dataset, oldest date first, the daily table of a
        date before its intraday one: dicts of `relation`, `day` (YYYYMMDD) and
        `is_intraday`. Names that only look like shards (`events_fresh_...`,
        `events_20240101_backup`, a day that is not in the calendar) are not
        shards. Empty at parse time, when nothing can be looked up. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set dataset = ga4_dataset_relation() -%}
    {%- set found = [] -%}
    {%- for row in list_relations_without_caching(dataset) -%}
        {%- set name = row['name'] -%}
        {%- set m = modules.re.fullmatch(
            'events_(intraday_)?([0-9]{8})', name | lower
        ) -%}
        {%- set day = m.group(2) if m else '' -%}
        {%- if m and hackle_is_valid_time(day[:4] ~ '-' ~ day[4:6] ~ '-' ~ day[6:]) -%}
            {%- do found.append((day, m.group(1) is not none, api.Relation.create(
                database=dataset.database, schema=dataset.schema, identifier=name
            ))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set shards = [] -%}
    {%- for day, is_intraday, relation in found | sort(attribute='0,1') -%}
        {%- do shards.append(
            {'relation': relation, 'day': day, 'is_intraday': is_intraday}
        ) -%}
    {%- endfor -%}
    {{ return(shards) }}
{%- endmacro %}


{% macro ga4_shards() -%}
    {#- The tables a run reads: the daily table of every date, and, with
        ga4_use_intraday, the intraday table of a date whose daily table is not
        written yet. A date's daily table replaces its intraday table whole, so
        no event is read twice. -#}
    {%- set daily_days = [] -%}
    {%- set chosen = [] -%}
    {%- for shard in ga4_dataset_shards() -%}
        {%- if not shard.is_intraday -%}
            {%- do daily_days.append(shard.day) -%}
            {%- do chosen.append(shard) -%}
        {%- elif var('ga4_use_intraday') and shard.day not in daily_days -%}
            {%- do chosen.append(shard) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(chosen) }}
{%- endmacro %}


{% macro ga4_newest_daily_day() -%}
    {#- YYYYMMDD of the newest date up to which the daily tables have no gap, or
        none. A date missing among the last `lookback_days` before the newest
        daily table (Google writes tables late, now and then) stops it there, so
        the days that need the missing table wait for it; older gaps, such as
        expired tables, do not count. -#}
    {%- set days = [] -%}
    {%- for shard in ga4_dataset_shards() if not shard.is_intraday -%}
        {%- do days.append(shard.day) -%}
    {%- endfor -%}
    {%- if not days -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set dt = modules.datetime -%}
    {%- set newest = dt.datetime.strptime(days | max, '%Y%m%d') -%}
    {%- set oldest = dt.datetime.strptime(days | min, '%Y%m%d') -%}
    {%- set first = newest - dt.timedelta(days=var('lookback_days')) -%}
    {%- set day = [first if first > oldest else oldest] -%}
    {%- for _ in range(var('lookback_days') + 1) if day[0] <= newest -%}
        {%- if day[0].strftime('%Y%m%d') not in days -%}
            {{ return((day[0] - dt.timedelta(days=1)).strftime('%Y%m%d')) }}
        {%- endif -%}
        {%- do day.append(day[0] + dt.timedelta(days=1)) -%}
        {%- do day.pop(0) -%}
    {%- endfor -%}
    {{ return(days | max) }}
{%- endmacro %}


{% macro ga4_day_end_utc(day) -%}
    {#- The UTC instant at which a date (YYYYMMDD) of the property zone ends. -#}
    {%- set next_day = modules.datetime.datetime.strptime(day, '%Y%m%d')
        + modules.datetime.timedelta(days=1) -%}
    {{ hackle_source_time_to_utc(
        "cast('" ~ next_day.strftime('%Y-%m-%d') ~ " 00:00:00' as "
        ~ dbt.type_timestamp() ~ ")",
        var('ga4_property_timezone')
    ) }}
{%- endmacro %}


{% macro ga4_union_shards(shards) -%}
    {#- Every row of the given shards, with the table it came from. -#}
    {{ return(adapter.dispatch('ga4_union_shards', 'hackle_export')(shards)) }}
{%- endmacro %}

{% macro default__ga4_union_shards(shards) -%}
    {#- Standard `union all`: every shard must have the same columns in the same
        order. -#}
    {%- for shard in shards %}
    select
        *,
        '{{ shard.relation.identifier }}' as shard_table,
        {{ 'true' if shard.is_intraday else 'false' }} as shard_is_intraday
    from {{ shard.relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{% macro duckdb__ga4_union_shards(shards) -%}
    {#- Matched by name: Google adds columns to the export over time (batch_*,
        session_traffic_source_last_click), so old shards lack some; they read as
        null there. -#}
    {%- for shard in shards %}
    select
        *,
        '{{ shard.relation.identifier }}' as shard_table,
        {{ 'true' if shard.is_intraday else 'false' }} as shard_is_intraday
    from {{ shard.relation }}
    {%- if not loop.last %}
    union all by name
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{% macro ga4_column_or_null(name, data_type) -%}
    {#- A column that newer exports have and older ones lack, or a typed null when
        the newest shard read does not have it. -#}
    {%- set shards = ga4_shards() -%}
    {%- if shards -%}
        {%- for column in adapter.get_columns_in_relation(shards[-1].relation)
                if column.name | lower == name -%}
            {{ return(name) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return('cast(null as ' ~ data_type ~ ')') }}
{%- endmacro %}


{% macro ga4_micros_to_timestamp(micros) -%}
    {#- Microseconds since the Unix epoch as a UTC timestamp without zone. -#}
    {{ return(adapter.dispatch('ga4_micros_to_timestamp', 'hackle_export')(micros)) }}
{%- endmacro %}

{% macro default__ga4_micros_to_timestamp(micros) -%}
    {{ hackle_not_implemented(
        'Reading GA4 microsecond timestamps', 'ga4_micros_to_timestamp',
        'BigQuery: timestamp_micros'
    ) }}
{%- endmacro %}

{% macro duckdb__ga4_micros_to_timestamp(micros) -%}
    {#- make_timestamp(bigint) reads microseconds exactly, without a zone. -#}
    make_timestamp({{ micros }})
{%- endmacro %}


{% macro ga4_nested_text(value) -%}
    {#- A nested value (list or struct) as text, to hash it. -#}
    {{ return(adapter.dispatch('ga4_nested_text', 'hackle_export')(value)) }}
{%- endmacro %}

{% macro default__ga4_nested_text(value) -%}
    {{ hackle_not_implemented(
        'Writing GA4 nested columns as text', 'ga4_nested_text',
        'BigQuery: to_json_string'
    ) }}
{%- endmacro %}

{% macro duckdb__ga4_nested_text(value) -%}
    {#- DuckDB writes lists and structs as literal text, fields in schema order. -#}
    cast({{ value }} as varchar)
{%- endmacro %}


{% macro ga4_unnest_join(list, alias) -%}
    {#- A join yielding one row per element of a list column; the element is
        `<alias>`. Put it after `from <relation>`. -#}
    {{ return(adapter.dispatch('ga4_unnest_join', 'hackle_export')(list, alias)) }}
{%- endmacro %}

{% macro default__ga4_unnest_join(list, alias) -%}
    {{ hackle_not_implemented(
        'Unnesting GA4 key/value lists', 'ga4_unnest_join',
        'BigQuery: cross join unnest(list) as alias'
    ) }}
{%- endmacro %}

{% macro duckdb__ga4_unnest_join(list, alias) -%}
    {#- unnest in FROM is lateral in DuckDB; the element is a struct column. -#}
    cross join unnest({{ list }}) as {{ alias }}_elements({{ alias }})
{%- endmacro %}


{% macro ga4_param_value(list, key) -%}
    {#- The `value` struct of the first entry named `key` in a key/value list such
        as event_params, or null. -#}
    {{ return(adapter.dispatch('ga4_param_value', 'hackle_export')(list, key)) }}
{%- endmacro %}

{% macro default__ga4_param_value(list, key) -%}
    {{ hackle_not_implemented(
        'Reading one GA4 parameter', 'ga4_param_value',
        'BigQuery: a subquery over unnest(list)'
    ) }}
{%- endmacro %}

{% macro duckdb__ga4_param_value(list, key) -%}
    {#- list_filter keeps the list's order; [1] is its first entry or null. -#}
    list_filter({{ list }}, lambda entry: entry.key = '{{ key }}')[1].value
{%- endmacro %}


{% macro ga4_value_text(value) -%}
    {#- A GA4 value struct as property text: the field that is set, in the order
        string, int, double, float; numbers canonical, so int 3, double 3.0 and
        string "3" all give `3`. Null when every field is null. -#}
    coalesce(
        {{ value }}.string_value,
        cast({{ value }}.int_value as {{ dbt.type_string() }}),
        {{ hackle_number_text(value ~ '.double_value') }},
        {{ hackle_number_text(value ~ '.float_value') }}
    )
{%- endmacro %}


{% macro ga4_source_problems() -%}
    {#- The dataset has a date table to read, the newest one read has every column
        the models use, and the property zone is a zone. -#}
    {%- set problems = [] -%}
    {%- set problem = hackle_timezone_problem(
        'ga4_property_timezone', var('ga4_property_timezone')
    ) -%}
    {%- if problem %}{% do problems.append(problem) %}{% endif -%}
    {%- if var('ga4_use_intraday') not in [true, false] -%}
        {%- do problems.append("ga4_use_intraday must be true or false") -%}
    {%- endif -%}
    {%- set shards = ga4_shards() -%}
    {%- if not shards -%}
        {%- set intraday = ga4_dataset_shards() | selectattr('is_intraday')
            | list -%}
        {%- if intraday -%}
            {%- do problems.append(
                "the ga4 dataset " ~ ga4_dataset_relation() ~ " has only intraday"
                ~ " tables (events_intraday_YYYYMMDD) yet; wait for the first daily"
                ~ " table, or set ga4_use_intraday to true"
            ) -%}
        {%- else -%}
            {%- do problems.append(
                "the ga4 dataset " ~ ga4_dataset_relation() ~ " has no events_YYYYMMDD"
                ~ " tables; set ga4_database and ga4_schema to your export dataset"
                ~ " (analytics_<property_id>), or remove ga4 from sources"
            ) -%}
        {%- endif -%}
        {{ return(problems) }}
    {%- endif -%}
    {%- set named = [] -%}
    {%- for column in [
        'event_date', 'event_timestamp', 'event_name', 'event_params',
        'event_previous_timestamp', 'event_value_in_usd', 'event_bundle_sequence_id',
        'event_server_timestamp_offset', 'user_id', 'user_pseudo_id',
        'user_properties', 'device', 'geo', 'app_info', 'traffic_source',
        'stream_id', 'platform', 'ecommerce'
    ] -%}
        {%- do named.append(['the GA4 export schema', column]) -%}
    {%- endfor -%}
    {%- do problems.extend(hackle_table_problems(
        'ga4', shards[-1].relation, ['ga4_database', 'ga4_schema'], named
    )) -%}
    {{ return(problems) }}
{%- endmacro %}
