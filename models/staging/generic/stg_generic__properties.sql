{{ config(enabled=hackle_source_enabled('generic')) }}

{%- set events = hackle_source_relation('generic') -%}  {#- for column types only -#}
{%- set column_types = {} -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(events) -%}
        {%- do column_types.update({column.name | lower: column.dtype}) -%}
    {%- endfor -%}
{%- endif -%}
{%- set json_columns = {
    'event': var('generic_event_properties_json'),
    'user': var('generic_user_properties_json')
} -%}

with

-- on an incremental run, only the events it re-reads (see stg_reread_window)
events as (
    select * from {{ ref('stg_generic__events') }}
    where {{ hackle_is_reread('received_at') }}
),

{% for scope in ['event', 'user', 'platform'] -%}
{%- set columns = var('generic_' ~ scope ~ '_property_columns') -%}
{%- if columns %}
-- {{ scope }} properties held in plain columns, named by the column
{{ scope }}_columns as (
    {%- set entries = [] -%}
    {%- for column in columns -%}
        {%- do entries.append([
            column | lower,
            hackle_value_text(
                'events.' ~ adapter.quote('prop_' ~ scope ~ '__' ~ column),
                column_types.get(column | lower, 'text')
            )
        ]) -%}
    {%- endfor %}
    {{ hackle_unpivot_properties('events', scope, entries) }}
),
{%- endif %}
{%- if json_columns.get(scope) %}
-- {{ scope }} properties held in one JSON object column
{{ scope }}_json as (
    select
        events.event_row_id,
        '{{ scope }}' as property_scope,
        entries.entry_key as property_key,
        entries.entry_text as property_value
    from events
    {{ hackle_json_entries_join(
        'events.' ~ scope ~ '_properties_json', '$', 'entries'
    ) }}
    where not entries.entry_is_null
),
{%- endif %}
{% endfor -%}

unioned as (
    select
        cast(null as {{ dbt.type_string() }}) as event_row_id,
        cast(null as {{ dbt.type_string() }}) as property_scope,
        cast(null as {{ dbt.type_string() }}) as property_key,
        cast(null as {{ dbt.type_string() }}) as property_value
    where 1 = 0
    {%- for scope in ['event', 'user', 'platform'] %}
    {%- if var('generic_' ~ scope ~ '_property_columns') %}
    union all
    select * from {{ scope }}_columns
    {%- endif %}
    {%- if json_columns.get(scope) %}
    union all
    select * from {{ scope }}_json
    {%- endif %}
    {%- endfor %}
)

select * from unioned
where property_value is not null
