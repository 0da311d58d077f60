{#- BigQuery variants of the project's dispatch macros, in one place. Each says
    why it differs from the default (or DuckDB) variant. Timestamps are BigQuery
    TIMESTAMPs throughout: an instant, which reads as the UTC wall clock that the
    rest of the project means by a timestamp without zone. -#}


{#- ---- maps ------------------------------------------------------------- -#}

{% macro bigquery__hackle_map_type() -%}
    {#- BigQuery has no MAP type: a map is a list of key/value records, which the
        exporter turns into a real Arrow map without copying. -#}
    array<struct<key string, value string>>
{%- endmacro %}

{% macro bigquery__hackle_map_agg(key, value, order_by) -%}
    {#- array_agg of records instead of DuckDB's map(list, list). -#}
    array_agg(
        struct(
            cast({{ key }} as string) as key,
            cast({{ value }} as string) as value
        )
        order by {{ order_by }}
    )
{%- endmacro %}

{% macro bigquery__hackle_empty_map() -%}
    {#- A typed empty array literal; BigQuery cannot cast an untyped []. -#}
    {{ hackle_map_type() }}[]
{%- endmacro %}

{% macro bigquery__hackle_map_keys(map) -%}
    {#- The keys in entry order, through a correlated array subquery. -#}
    array(
        select map_entry.key
        from unnest({{ map }}) as map_entry with offset as entry_position
        order by entry_position
    )
{%- endmacro %}

{% macro bigquery__hackle_map_value(map, key) -%}
    {#- A scalar subquery over the entries; the first entry wins. -#}
    (
        select map_entry.value
        from unnest({{ map }}) as map_entry with offset as entry_position
        where map_entry.key = {{ key }}
        order by entry_position
        limit 1
    )
{%- endmacro %}

{% macro bigquery__hackle_map_entries_join(map, alias) -%}
    {#- Unnesting a list of records names its fields key/value; re-shape them as
        entry_key/entry_value so tests read the same columns as on DuckDB. -#}
    cross join unnest(array(
        select as struct
            map_entry.key as entry_key,
            map_entry.value as entry_value
        from unnest({{ map }}) as map_entry
    )) as {{ alias }}
{%- endmacro %}


{#- ---- JSON ------------------------------------------------------------- -#}

{% macro bigquery__hackle_json_text(json, path) -%}
    {#- json_value reads JSON text directly; the raw string keeps `$` literal. -#}
    json_value({{ json }}, r'{{ path }}')
{%- endmacro %}

{% macro bigquery__hackle_json_object(json, path) -%}
    {#- The JSON value at `path` of JSON text, or null for text that is not JSON.
        Wide numbers are rounded instead of failing the parse, as DuckDB keeps
        them as doubles. -#}
    json_query(safe.parse_json({{ json }}, wide_number_mode => 'round'), r'{{ path }}')
{%- endmacro %}

{% macro bigquery__hackle_json_is_object(json, path) -%}
    {#- json_type names the JSON kind in lowercase on BigQuery. -#}
    coalesce(
        json_type({{ bigquery__hackle_json_object(json, path) }}) = 'object',
        false
    )
{%- endmacro %}

{% macro bigquery__hackle_json_entries_join(json, path, alias) -%}
    {#- BigQuery has no json_each: json_keys lists the object's own keys and the
        subscript reads each value. Integers keep their exact digits, other
        numbers take the same canonical text as on DuckDB, strings lose their
        quotes and nested values stay compact JSON. -#}
    cross join unnest(array(
        select as struct
            entry_key,
            case json_type(entry_json)
                when 'string' then string(entry_json)
                when 'number' then
                    case
                        when regexp_contains(to_json_string(entry_json), r'^-?[0-9]+$')
                            then to_json_string(entry_json)
                        else {{ hackle_number_text(
                            "float64(entry_json, wide_number_mode => 'round')"
                        ) }}
                    end
                when 'null' then cast(null as string)
                else to_json_string(entry_json)
            end as entry_text,
            json_type(entry_json) = 'null' as entry_is_null
        from (
            select
                entry_key,
                json_object_value[entry_key] as entry_json
            from (
                select
                    {{ bigquery__hackle_json_object(json, path) }}
                        as json_object_value
            )
            cross join unnest(
                case
                    when {{ hackle_json_is_object(json, path) }}
                        then json_keys(json_object_value, 1)
                end
            ) as entry_key
        )
    )) as {{ alias }}
{%- endmacro %}


{#- ---- text ------------------------------------------------------------- -#}

{% macro bigquery__hackle_shortest_double_text(x) -%}
    {#- The fewest significant digits (15, 16 or 17) that read back as the same
        FLOAT64; printf's %g, like DuckDB, strips trailing zeros. -#}
    case
        when cast(format('%.15g', {{ x }}) as float64) = {{ x }}
            then format('%.15g', {{ x }})
        when cast(format('%.16g', {{ x }}) as float64) = {{ x }}
            then format('%.16g', {{ x }})
        else format('%.17g', {{ x }})
    end
{%- endmacro %}

{% macro bigquery__hackle_shortest_double_exponent_text(x) -%}
    {#- The same digits in exponent form, trailing zeros of the mantissa dropped. -#}
    regexp_replace(
        case
            when cast(format('%.14e', {{ x }}) as float64) = {{ x }}
                then format('%.14e', {{ x }})
            when cast(format('%.15e', {{ x }}) as float64) = {{ x }}
                then format('%.15e', {{ x }})
            else format('%.16e', {{ x }})
        end,
        r'\.?0+e',
        'e'
    )
{%- endmacro %}

{% macro bigquery__hackle_number_text(x) -%}
    {#- CAST(FLOAT64 AS STRING) is not the shortest round-trip text, so build
        DuckDB's text (Python's repr) from printf formats: whole numbers below
        1e15 as integers; below 1e16 as integers with `.0`; larger ones in
        exponent form; fractions in the shortest %g text, whose choice between
        plain and exponent form agrees with DuckDB's for every fraction. -#}
    case
        when {{ x }} = trunc({{ x }}) and abs({{ x }}) < 1e15
            then cast(cast({{ x }} as int64) as string)
        when {{ x }} = trunc({{ x }}) and abs({{ x }}) < 1e16
            then concat(cast(cast({{ x }} as int64) as string), '.0')
        when {{ x }} = trunc({{ x }})
            then {{ bigquery__hackle_shortest_double_exponent_text(x) }}
        else {{ bigquery__hackle_shortest_double_text(x) }}
    end
{%- endmacro %}

{% macro bigquery__hackle_regexp_matches(value, pattern) -%}
    {#- BigQuery has no full-match function: anchor the RE2 pattern instead. -#}
    regexp_contains({{ value }}, r'^(?:{{ pattern }})$')
{%- endmacro %}

{% macro bigquery__hackle_regexp_extract(value, pattern) -%}
    {#- regexp_extract returns the only capture group; (?i) stands in for
        DuckDB's 'i' option. -#}
    nullif(regexp_extract({{ value }}, r'(?i){{ pattern }}'), '')
{%- endmacro %}

{% macro bigquery__hackle_is_blank(value) -%}
    {#- The same RE2 class as on DuckDB, anchored because regexp_contains
        searches. -#}
    coalesce(regexp_contains(cast({{ value }} as string), r'^[\s\p{Z}]*$'), true)
{%- endmacro %}


{#- ---- time zones ------------------------------------------------------- -#}

{% macro bigquery__hackle_utc_to_local(ts, tz) -%}
    {#- datetime(ts, tz) is the wall clock in tz; timestamp() of it keeps the
        project's habit of naive values held as UTC timestamps. -#}
    timestamp(datetime({{ ts }}, '{{ tz }}'))
{%- endmacro %}

{% macro bigquery__hackle_local_to_utc(ts, tz) -%}
    {#- The UTC wall clock of `ts` read as a wall clock in tz. -#}
    timestamp(datetime({{ ts }}), '{{ tz }}')
{%- endmacro %}

{% macro bigquery__hackle_zoned_to_utc(ts) -%}
    {#- A BigQuery TIMESTAMP is already an instant. -#}
    {{ ts }}
{%- endmacro %}

{% macro bigquery__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {#- dbt-bigquery's dateadd returns a DATETIME, which BigQuery refuses to
        compare with the TIMESTAMP columns of this project; timestamp_add keeps
        the type for the parts it supports. -#}
    {%- set timestamp_parts = [
        'microsecond', 'millisecond', 'second', 'minute', 'hour', 'day'
    ] -%}
    {%- if datepart | lower in timestamp_parts -%}
        timestamp_add(
            timestamp({{ from_date_or_timestamp }}),
            interval {{ interval }} {{ datepart }}
        )
    {%- else -%}
        datetime_add(
            cast({{ from_date_or_timestamp }} as datetime),
            interval {{ interval }} {{ datepart }}
        )
    {%- endif -%}
{%- endmacro %}


{#- ---- metric ----------------------------------------------------------- -#}

{% macro bigquery__hackle_type_metric() -%}
    {#- NUMERIC is the name BigQuery reports for the contract's column type. -#}
    numeric(24, 6)
{%- endmacro %}

{% macro bigquery__hackle_type_metric_exact() -%}
    {#- NUMERIC holds at most 9 decimal places; BIGNUMERIC(38, 18) rounds a
        metric's text exactly like DuckDB's decimal(38, 18). -#}
    bignumeric(38, 18)
{%- endmacro %}

{% macro bigquery__hackle_decimal_from_text(text, decimal_type) -%}
    {#- safe_cast gives null for text that is no number or does not fit. -#}
    safe_cast({{ text }} as {{ decimal_type }})
{%- endmacro %}


{#- ---- incremental days ------------------------------------------------- -#}

{% macro bigquery__hackle_incremental_strategy() -%}
    {#- dbt-bigquery supports no custom strategy; insert_overwrite replaces the
        day partitions the run rebuilds, which needs partition_by (see
        hackle_partition_by). -#}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro hackle_partition_by(column) -%}
    {#- The partitioning config of a mart by its day or time column, or none
        where the warehouse has no partitions to configure. -#}
    {{ return(adapter.dispatch('hackle_partition_by', 'hackle_export')(column)) }}
{%- endmacro %}

{% macro default__hackle_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__hackle_partition_by(column) -%}
    {#- One partition per day: `ts` by its UTC date, `dt` as it is. -#}
    {{ return({
        'field': column,
        'data_type': 'timestamp' if column == 'ts' else 'date',
        'granularity': 'day'
    }) }}
{%- endmacro %}

{% macro hackle_cluster_by(columns) -%}
    {#- The clustering config of a mart, or none. -#}
    {{ return(adapter.dispatch('hackle_cluster_by', 'hackle_export')(columns)) }}
{%- endmacro %}

{% macro default__hackle_cluster_by(columns) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro bigquery__hackle_cluster_by(columns) -%}
    {{ return(columns) }}
{%- endmacro %}


{#- ---- sources ---------------------------------------------------------- -#}

{% macro bigquery__segment_table_names(database, schema) -%}
    {#- Each BigQuery dataset has its own INFORMATION_SCHEMA. -#}
    {%- set dataset = adapter.quote(database) ~ '.' ~ adapter.quote(schema) -%}
    {%- set query -%}
        select table_name
        from {{ dataset }}.INFORMATION_SCHEMA.TABLES
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{% macro bigquery__ga4_micros_to_timestamp(micros) -%}
    {#- BigQuery's own reader of microseconds since the epoch. -#}
    timestamp_micros({{ micros }})
{%- endmacro %}

{% macro bigquery__ga4_nested_text(value) -%}
    {#- JSON text stands in for DuckDB's literal text of lists and structs, so
        GA4 insert_ids differ between the two warehouses (never within one). -#}
    to_json_string({{ value }})
{%- endmacro %}

{% macro bigquery__ga4_unnest_join(list, alias) -%}
    {#- A correlated unnest; the element is a record named `alias`. -#}
    cross join unnest({{ list }}) as {{ alias }}
{%- endmacro %}

{% macro bigquery__ga4_param_value(list, key) -%}
    {#- No list_filter: a scalar subquery keeps the list's first match. -#}
    (
        select param_entry.value
        from unnest({{ list }}) as param_entry with offset as entry_position
        where param_entry.key = '{{ key }}'
        order by entry_position
        limit 1
    )
{%- endmacro %}

{% macro bigquery__ga4_union_shards(shards) -%}
    {#- One scan of the `events_*` wildcard instead of a union of tables: the
        `_TABLE_SUFFIX` list prunes it to the shards chosen (and, on an
        incremental run, to the days the run rebuilds), and columns that older
        shards lack read as null, as DuckDB's union by name gives. -#}
    {%- set needed = ga4_bigquery_needed_shards(shards) -%}
    {%- set dataset = ga4_dataset_relation() -%}
    {%- set wildcard = adapter.quote(dataset.database) ~ '.'
        ~ adapter.quote(dataset.schema) ~ '.`events_*`' -%}
    select
        *,
        concat('events_', _table_suffix) as shard_table,
        starts_with(_table_suffix, 'intraday_') as shard_is_intraday
    from {{ wildcard }}
    {%- if needed %}
    where _table_suffix in (
        {%- for shard in needed %}
        '{{ shard.relation.identifier[7:] }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
    {%- else %}
    where false
    {%- endif %}
{%- endmacro %}

{% macro ga4_bigquery_first_needed_day() -%}
    {#- YYYYMMDD of the oldest shard an incremental run needs, or none for a
        full build. Google rewrites a shard with late events for up to three
        days, and a shard's date (property zone) can lie a day away from the
        export day, hence the margin beyond lookback_days. -#}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set events = adapter.get_relation(
        database=target.database, schema=target.schema, identifier='hackle_events'
    ) -%}
    {%- if events is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set days_back = [var('lookback_days'), 3] | max + 1 -%}
    {%- set query -%}
        select format_date(
            '%Y%m%d',
            date_sub(date(max(ts)), interval {{ days_back }} day)
        )
        from {{ events }}
    {%- endset -%}
    {%- set first_day = run_query(query).columns[0].values()[0] -%}
    {{ return(first_day) }}
{%- endmacro %}

{% macro ga4_bigquery_needed_shards(shards) -%}
    {#- The shards from the first needed day on; all of them for a full build. -#}
    {%- set first_day = ga4_bigquery_first_needed_day() -%}
    {%- if first_day is none -%}
        {{ return(shards) }}
    {%- endif -%}
    {{ return(shards | selectattr('day', '>=', first_day) | list) }}
{%- endmacro %}
