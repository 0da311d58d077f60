{{ config(enabled=hackle_source_enabled('segment')) }}

{#- Segment keeps each event's properties in a table of their own, named by the
    event's slug, one typed column per property. The tables are found by listing
    the schema when the model is built. -#}
{%- set source_tz = var('segment_source_timezone') -%}
{%- set event_tables = [] -%}
{%- for relation in segment_event_tables() -%}
    {%- set properties = segment_property_columns(relation) -%}
    {%- if properties -%}
        {%- do event_tables.append([relation, properties]) -%}
    {%- endif -%}
{%- endfor %}

with

{% for relation, properties in event_tables -%}
{%- set n = loop.index -%}
{%- set names = segment_columns(relation) | map(attribute=0) | list -%}
{%- set received_at = hackle_to_utc_timestamp(relation, 'received_at', source_tz)
    if 'received_at' in names else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' -%}
-- the rows of {{ relation.identifier }}, each property as text (event_row_id here
-- identifies the row of this table, as hackle_unpivot_properties expects)
event_table_{{ n }} as (
    select
        {{ hackle_hash([
            "'" ~ relation.identifier ~ "'", adapter.quote('id'), received_at
        ]) }} as event_row_id,
        cast({{ adapter.quote('id') }} as {{ dbt.type_string() }}) as message_id,
        {{ received_at }} as received_at
        {%- for name, data_type in properties %},
        {{ hackle_value_text(adapter.quote(name), data_type) }}
            as {{ adapter.quote(name) }}
        {%- endfor %}
    from {{ relation }}
),

-- one row per property of each row of {{ relation.identifier }}
event_table_{{ n }}_properties as (
    {%- set entries = [] -%}
    {%- for name, data_type in properties -%}
        {%- do entries.append(
            [name, 'event_table_' ~ n ~ '.' ~ adapter.quote(name)]
        ) -%}
    {%- endfor %}
    {{ hackle_unpivot_properties('event_table_' ~ n, 'event', entries) }}
),

{% endfor -%}

-- the rows of every per-event table, once each
table_rows as (
    select
        cast(null as {{ dbt.type_string() }}) as table_row_id,
        cast(null as {{ dbt.type_string() }}) as message_id,
        cast(null as {{ dbt.type_timestamp() }}) as received_at
    where 1 = 0
    {%- for relation, properties in event_tables %}
    union all
    select distinct event_row_id, message_id, received_at
    from event_table_{{ loop.index }}
    {%- endfor %}
),

-- the properties of every per-event table; null values are kept, so that a row
-- without any still stands for its message
table_properties as (
    select
        cast(null as {{ dbt.type_string() }}) as table_row_id,
        cast(null as {{ dbt.type_string() }}) as property_key,
        cast(null as {{ dbt.type_string() }}) as property_value
    where 1 = 0
    {%- for relation, properties in event_tables %}
    union all
    select distinct event_row_id, property_key, property_value
    from event_table_{{ loop.index }}_properties
    {%- endfor %}
),

-- each property with the message it belongs to
final as (
    select
        table_rows.table_row_id,
        table_rows.message_id,
        table_rows.received_at,
        table_properties.property_key,
        table_properties.property_value
    from table_properties
    inner join table_rows
        on table_properties.table_row_id = table_rows.table_row_id
)

select * from final
