{#- Canonical text for values, identifiers and hashes. -#}

{% macro hackle_number_text(x) -%}
    {#- A number as text: whole numbers without `.0` (while exact, below 1e15),
        others in the shortest text that reads back as the same double. -#}
    {{ return(adapter.dispatch('hackle_number_text', 'hackle_export')(x)) }}
{%- endmacro %}

{% macro default__hackle_number_text(x) -%}
    case
        when {{ x }} = trunc({{ x }}) and abs({{ x }}) < 1e15
            then cast(cast({{ x }} as bigint) as {{ dbt.type_string() }})
        else cast({{ x }} as {{ dbt.type_string() }})
    end
{%- endmacro %}


{% macro hackle_bool_text(x) -%}
    case when {{ x }} then 'true' when not {{ x }} then 'false' end
{%- endmacro %}


{% macro hackle_regexp_matches(value, pattern) -%}
    {#- True when the whole of `value` matches `pattern`. -#}
    {{ return(adapter.dispatch('hackle_regexp_matches', 'hackle_export')(value, pattern)) }}
{%- endmacro %}

{% macro default__hackle_regexp_matches(value, pattern) -%}
    {#- POSIX regular expressions, as PostgreSQL and Redshift spell them. -#}
    ({{ value }} ~ '^({{ pattern }})$')
{%- endmacro %}

{% macro duckdb__hackle_regexp_matches(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}


{% macro hackle_regexp_extract(value, pattern) -%}
    {#- The first capture group of `pattern` in `value` (case-insensitive), or null. -#}
    {{ return(adapter.dispatch('hackle_regexp_extract', 'hackle_export')(value, pattern)) }}
{%- endmacro %}

{% macro default__hackle_regexp_extract(value, pattern) -%}
    {#- PostgreSQL: substring(... from ...) returns the first capture group. -#}
    nullif(substring(lower({{ value }}) from '{{ pattern }}'), '')
{%- endmacro %}

{% macro duckdb__hackle_regexp_extract(value, pattern) -%}
    nullif(regexp_extract({{ value }}, '{{ pattern }}', 1, 'i'), '')
{%- endmacro %}


{% macro hackle_hash(expressions) -%}
    {#- md5 hex of the expressions as text, null-safe and separated, so that
        ('a', 'bc') and ('ab', 'c') differ and null differs from ''. -#}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append(
            "coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '<null>')"
        ) -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{% macro hackle_uuid_text(hex32) -%}
    {#- 32 hex digits written as a canonical 8-4-4-4-12 UUID. -#}
    {{ dbt.concat([
        'substr(' ~ hex32 ~ ', 1, 8)', "'-'",
        'substr(' ~ hex32 ~ ', 9, 4)', "'-'",
        'substr(' ~ hex32 ~ ', 13, 4)', "'-'",
        'substr(' ~ hex32 ~ ', 17, 4)', "'-'",
        'substr(' ~ hex32 ~ ', 21, 12)'
    ]) }}
{%- endmacro %}


{% macro hackle_insert_id(source_kind, event_id, fallback_expressions) -%}
    {#- The event's insert_id: the source's own id when it is a UUID (lowercased);
        otherwise a UUID-shaped md5 of the source kind and the id, or, without an
        id, of the fallback expressions. The same event gives the same value on
        every run and every warehouse. -#}
    {%- set uuid_pattern = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}' -%}
    case
        when {{ hackle_regexp_matches(event_id, uuid_pattern) }}
            then lower({{ event_id }})
        when {{ event_id }} is not null and {{ event_id }} <> ''
            then {{ hackle_uuid_text(hackle_hash(["'" ~ source_kind ~ "'", event_id])) }}
        else {{ hackle_uuid_text(hackle_hash(["'" ~ source_kind ~ "'"] + fallback_expressions)) }}
    end
{%- endmacro %}


{% macro hackle_is_blank(value) -%}
    {#- True for null, empty text, and text of white space only (tabs, no-break
        spaces and other Unicode separators included). -#}
    {{ return(adapter.dispatch('hackle_is_blank', 'hackle_export')(value)) }}
{%- endmacro %}

{% macro default__hackle_is_blank(value) -%}
    coalesce(cast({{ value }} as {{ dbt.type_string() }}) ~ '^[[:space:]]*$', true)
{%- endmacro %}

{% macro duckdb__hackle_is_blank(value) -%}
    coalesce(regexp_full_match(cast({{ value }} as varchar), '[\s\p{Z}]*'), true)
{%- endmacro %}


{% macro hackle_unless_blank(value) -%}
    {#- The value as text, or null when it is blank. -#}
    case
        when not {{ hackle_is_blank(value) }}
            then cast({{ value }} as {{ dbt.type_string() }})
    end
{%- endmacro %}


{% macro hackle_trim(value) -%}
    {#- The text without leading and trailing white space of any kind (tabs, line
        breaks, no-break spaces), where the warehouse can tell them apart. -#}
    {{ return(adapter.dispatch('hackle_trim', 'hackle_export')(value)) }}
{%- endmacro %}

{% macro default__hackle_trim(value) -%}
    trim({{ value }})
{%- endmacro %}

{% macro duckdb__hackle_trim(value) -%}
    regexp_replace({{ value }}, '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g')
{%- endmacro %}
