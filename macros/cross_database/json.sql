{#- JSON text held in a string column. Paths use the `$.key` / `$[0].key` form. -#}

{% macro hackle_json_text(json, path) -%}
    {#- A scalar at `path` as text; strings without their quotes. -#}
    {{ return(adapter.dispatch('hackle_json_text', 'hackle_export')(json, path)) }}
{%- endmacro %}

{% macro default__hackle_json_text(json, path) -%}
    json_value({{ json }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__hackle_json_text(json, path) -%}
    {#- Text that is not valid JSON reads as null rather than failing the query. -#}
    json_extract_string(case when json_valid({{ json }}) then {{ json }} end, '{{ path }}')
{%- endmacro %}


{% macro hackle_json_entries_join(json, path, alias) -%}
    {#- A lateral join that yields one row per entry of the JSON object at `path`,
        with columns `<alias>.entry_key`, `<alias>.entry_text` (the value as text:
        strings unquoted, numbers in canonical text, nested values as compact JSON)
        and `<alias>.entry_is_null`. Put it after `from <relation>`. Text that is
        not a JSON object there yields no rows (see hackle_json_is_object). -#}
    {{ return(adapter.dispatch('hackle_json_entries_join', 'hackle_export')(json, path, alias)) }}
{%- endmacro %}

{% macro default__hackle_json_entries_join(json, path, alias) -%}
    {{ hackle_not_implemented(
        'Exploding JSON objects into properties', 'hackle_json_entries_join',
        'or use plain property columns instead of a JSON column'
    ) }}
{%- endmacro %}

{% macro duckdb__hackle_json_entries_join(json, path, alias) -%}
    {#- json_each types each value; numbers go through the same canonical text as
        typed columns so that 3, 3.0 and "3" agree where the source agrees. -#}
    cross join lateral (
        select
            je.key as entry_key,
            case
                when je.type = 'VARCHAR' then json_extract_string(je.value, '$')
                when je.type = 'DOUBLE'
                    then {{ hackle_number_text('cast(je.value as double)') }}
                when je.type in ('BIGINT', 'UBIGINT') then cast(je.value as varchar)
                else cast(je.value as varchar)
            end as entry_text,
            je.type = 'NULL' as entry_is_null
        from json_each(
            case when {{ hackle_json_is_object(json, path) }} then {{ json }} end,
            '{{ path }}'
        ) as je
    ) as {{ alias }}
{%- endmacro %}


{% macro hackle_json_is_object(json, path='$') -%}
    {#- True when `json` is valid JSON text holding an object at `path`. -#}
    {{ return(adapter.dispatch('hackle_json_is_object', 'hackle_export')(json, path)) }}
{%- endmacro %}

{% macro default__hackle_json_is_object(json, path) -%}
    {{ hackle_not_implemented(
        'Telling JSON objects from other text', 'hackle_json_is_object',
        'DuckDB: json_valid and json_type'
    ) }}
{%- endmacro %}

{% macro duckdb__hackle_json_is_object(json, path) -%}
    coalesce(
        case when json_valid({{ json }}) then json_type({{ json }}, '{{ path }}') = 'OBJECT' end,
        false
    )
{%- endmacro %}


{% macro hackle_json_properties_valid(columns, path='$') -%}
    {#- True when each JSON property column is blank or holds an object at
        `path`; a row with anything else is held back as invalid_properties. -#}
    {%- if columns | length == 0 -%}
        true
    {%- else -%}
        (
        {%- for column in columns %}
            ({{ hackle_is_blank(column) }} or {{ hackle_json_is_object(column, path) }})
            {%- if not loop.last %} and{% endif %}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
