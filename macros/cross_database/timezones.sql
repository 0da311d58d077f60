{#- Timestamps are stored as UTC wall-clock values without a zone (`timestamp`).
    These macros move them to and from the partition time zone without depending
    on the session's time zone setting. -#}

{% macro hackle_utc_to_local(ts, tz) -%}
    {{ return(adapter.dispatch('hackle_utc_to_local', 'hackle_export')(ts, tz)) }}
{%- endmacro %}

{% macro default__hackle_utc_to_local(ts, tz) -%}
    convert_timezone('UTC', '{{ tz }}', {{ ts }})
{%- endmacro %}

{% macro duckdb__hackle_utc_to_local(ts, tz) -%}
    {#- timezone('UTC', naive) reads the value as UTC; timezone(tz, tstz) gives the
        wall clock in tz. Neither step looks at the session's TimeZone. -#}
    timezone('{{ tz }}', timezone('UTC', {{ ts }}))
{%- endmacro %}


{% macro hackle_local_to_utc(ts, tz) -%}
    {{ return(adapter.dispatch('hackle_local_to_utc', 'hackle_export')(ts, tz)) }}
{%- endmacro %}

{% macro default__hackle_local_to_utc(ts, tz) -%}
    convert_timezone('{{ tz }}', 'UTC', {{ ts }})
{%- endmacro %}

{% macro duckdb__hackle_local_to_utc(ts, tz) -%}
    timezone('UTC', timezone('{{ tz }}', {{ ts }}))
{%- endmacro %}


{% macro hackle_partition_date(ts) -%}
    {#- The export day of a UTC timestamp: its calendar date in the partition zone. -#}
    {%- set tz = var('partition_timezone') -%}
    {%- if tz == 'UTC' -%}
        cast({{ ts }} as date)
    {%- else -%}
        cast({{ hackle_utc_to_local(ts, tz) }} as date)
    {%- endif -%}
{%- endmacro %}


{% macro hackle_partition_day_start(day) -%}
    {#- The UTC instant at which a partition day begins. -#}
    {%- set tz = var('partition_timezone') -%}
    {%- if tz == 'UTC' -%}
        cast({{ day }} as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ hackle_local_to_utc('cast(' ~ day ~ ' as ' ~ dbt.type_timestamp() ~ ')', tz) }}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_source_time_to_utc(ts, source_tz) -%}
    {#- A source timestamp column without a zone, read in the source's zone. -#}
    {%- if source_tz == 'UTC' -%}
        {{ ts }}
    {%- else -%}
        {{ hackle_local_to_utc(ts, source_tz) }}
    {%- endif -%}
{%- endmacro %}


{% macro hackle_to_utc_timestamp(relation, column, source_tz) -%}
    {#- A source time column as a UTC timestamp without zone. A column that carries
        its zone is converted; one without is read in `source_tz`; a text column
        is read as ISO text, by its own offset (`Z`, `+09:00`) where it has one,
        and gives null where it is not a time at all (the row is then held back as
        missing_timestamp). -#}
    {%- set quoted = adapter.quote(column) -%}
    {%- set data_type = 'timestamp' -%}
    {%- if execute -%}
        {%- for c in adapter.get_columns_in_relation(relation) if c.name | lower == column | lower -%}
            {%- set data_type = c.dtype | lower -%}
            {%- if 'with time zone' in data_type or data_type == 'timestamptz' -%}
                {{ return(hackle_zoned_to_utc(quoted)) }}
            {%- elif data_type.startswith('varchar') or data_type.startswith('character')
                    or data_type in ('text', 'string') -%}
                {{ return(hackle_text_to_utc(quoted, source_tz)) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(hackle_source_time_to_utc('cast(' ~ quoted ~ ' as ' ~ dbt.type_timestamp() ~ ')', source_tz)) }}
{%- endmacro %}


{% macro hackle_text_to_utc(text, source_tz) -%}
    {{ return(adapter.dispatch('hackle_text_to_utc', 'hackle_export')(text, source_tz)) }}
{%- endmacro %}

{% macro default__hackle_text_to_utc(text, source_tz) -%}
    {{ hackle_source_time_to_utc('cast(' ~ text ~ ' as ' ~ dbt.type_timestamp() ~ ')', source_tz) }}
{%- endmacro %}

{% macro duckdb__hackle_text_to_utc(text, source_tz) -%}
    {#- A cast to timestamp would drop an offset silently; text with one is read
        as an instant, text without one in the source's zone. -#}
    case
        when regexp_matches(
            trim({{ text }}),
            '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?[ ]*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
        )
            then timezone('UTC', try_cast(trim({{ text }}) as timestamptz))
        else {{ hackle_source_time_to_utc('try_cast(trim(' ~ text ~ ') as timestamp)', source_tz) }}
    end
{%- endmacro %}


{% macro hackle_zoned_to_utc(ts) -%}
    {{ return(adapter.dispatch('hackle_zoned_to_utc', 'hackle_export')(ts)) }}
{%- endmacro %}

{% macro default__hackle_zoned_to_utc(ts) -%}
    convert_timezone('UTC', {{ ts }})
{%- endmacro %}

{% macro duckdb__hackle_zoned_to_utc(ts) -%}
    timezone('UTC', {{ ts }})
{%- endmacro %}
